#!/usr/bin/env python3
"""Holds docs/config.schema.json to what `courier validate` accepts.

    tests/schema/check_examples.py build/courier [--source-dir DIR]

1. The schema is a valid JSON Schema (checked against its meta-schema).
2. Every *.yaml / *.yml under examples/ (recursively) is checked against the schema AND with
   `courier validate -c FILE`; the two verdicts must agree. Files listed in
   EXPECTED_INVALID are deliberately broken and must be rejected by both; every other file
   must be accepted by both.
3. Negative control, so this check can fail: each valid example with an unknown root key
   appended must be rejected by both.
4. Every ```yaml block of docs/configuration.md and docs/CONFIG_GUIDE.md passes the schema
   (the unit tests already load each block with the real loader).
5. Each small configuration of tests/schema/agreement_cases.yaml gets the verdict its
   "# accept: …" / "# reject: …" line states, from both.

`courier validate` runs with an empty environment, so ${VAR:-default} takes its default
and results do not depend on the shell the test runs from. Exit status 0 when everything
holds, 1 otherwise (each problem printed on its own line).
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import jsonschema
import yaml

# Deliberately broken configurations: the demo shows `courier validate` reporting them.
EXPECTED_INVALID = {"examples/demo/mistakes.yaml"}

DOCUMENTS_WITH_EXAMPLES = ["docs/configuration.md", "docs/CONFIG_GUIDE.md"]

AGREEMENT_CASES = "tests/schema/agreement_cases.yaml"

# courier validate's exit codes (src/app/cli.h).
EXIT_VALID = 0
EXIT_INVALID = 2


class Yaml12Loader(yaml.SafeLoader):
    """YAML 1.2 core schema, as yaml-cpp and editors read it: `yes`, `on` and dates stay
    strings, `05432` is the integer 5432 (PyYAML alone follows YAML 1.1)."""


Yaml12Loader.yaml_implicit_resolvers = {}
for tag, pattern, first in [
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("int", r"^[-+]?[0-9]+$", list("-+0123456789")),
    ("float", r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
              r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", list("-+0123456789.")),
]:
    Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:" + tag, re.compile(pattern), first)
Yaml12Loader.add_constructor(
    "tag:yaml.org,2002:int", lambda loader, node: int(loader.construct_scalar(node), 10))


def schema_problems(validator, text):
    """The schema's complaints about a YAML text; empty when it conforms."""
    try:
        document = yaml.load(text, Loader=Yaml12Loader)
    except yaml.YAMLError as error:
        return ["not YAML the schema can check: " + str(error).replace("\n", " ")]
    problems = []
    for error in validator.iter_errors(document):
        where = "/".join(str(part) for part in error.absolute_path) or "(root)"
        problems.append(f"{where}: {error.message}")
    return problems


def courier_validate(courier, path):
    """(accepted, output) of `courier validate -c path`."""
    run = subprocess.run([courier, "validate", "-c", str(path)], capture_output=True, text=True,
                         env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")}, timeout=60)
    if run.returncode not in (EXIT_VALID, EXIT_INVALID):
        raise RuntimeError(f"courier validate -c {path} exited {run.returncode}:\n"
                           f"{run.stdout}{run.stderr}")
    return run.returncode == EXIT_VALID, run.stdout + run.stderr


def verdict(accepted, third_person=True):
    word = "accept" if accepted else "reject"
    return word + "s" if third_person else word


class Check:
    def __init__(self, courier, source_dir):
        self.courier = courier
        self.source_dir = source_dir
        self.failures = []
        schema = json.loads((source_dir / "docs/config.schema.json").read_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        self.validator = jsonschema.Draft202012Validator(schema)

    def fail(self, message):
        self.failures.append(message)

    def example_files(self):
        root = self.source_dir / "examples"
        return sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())

    def check_file(self, path, name, expected_valid):
        """Schema and courier agree on `path`, and both give `expected_valid`."""
        problems = schema_problems(self.validator, path.read_text())
        accepted, output = courier_validate(self.courier, path)
        schema_accepts = not problems
        if schema_accepts != accepted:
            self.fail(f"{name}: the schema {verdict(schema_accepts)} it but courier validate "
                      f"{verdict(accepted)} it\n  schema: {problems}\n  courier: {output.strip()}")
        elif accepted != expected_valid:
            self.fail(f"{name}: expected both to {verdict(expected_valid, False)} it, both "
                      f"{verdict(accepted, False)} it\n  schema: {problems}\n  courier: {output.strip()}")
        return schema_accepts and accepted

    def check_examples(self):
        files = self.example_files()
        names = {str(p.relative_to(self.source_dir)) for p in files}
        for missing in sorted(EXPECTED_INVALID - names):
            self.fail(f"{missing}: listed as deliberately invalid but not found")
        valid = []
        for path in files:
            name = str(path.relative_to(self.source_dir))
            if self.check_file(path, name, expected_valid=name not in EXPECTED_INVALID):
                valid.append((path, name))
        if not valid:
            self.fail("no valid example configuration found under examples/")
        with tempfile.TemporaryDirectory() as scratch:
            for path, name in valid:
                broken = Path(scratch) / path.name
                broken.write_text(path.read_text().rstrip("\n") + "\nno_such_section: 1\n")
                self.check_file(broken, name + " with an unknown root key", expected_valid=False)
        return len(files)

    def check_agreement_cases(self):
        text = (self.source_dir / AGREEMENT_CASES).read_text()
        cases = re.split(r"^---\n", text, flags=re.M)
        with tempfile.TemporaryDirectory() as scratch:
            for number, case in enumerate(cases):
                verdict_line = re.search(r"^# (accept|reject): (.*)$", case, re.M)
                if not verdict_line:
                    self.fail(f"{AGREEMENT_CASES}: case {number} has no '# accept:' or "
                              f"'# reject:' line")
                    continue
                path = Path(scratch) / f"case{number}.yaml"
                path.write_text(case)
                self.check_file(path, f"{AGREEMENT_CASES} case {number} ({verdict_line[2]})",
                                expected_valid=verdict_line[1] == "accept")
        return len(cases)

    def check_documents(self):
        blocks = 0
        for document in DOCUMENTS_WITH_EXAMPLES:
            text = (self.source_dir / document).read_text()
            for match in re.finditer(r"^```yaml\n(.*?)^```", text, re.S | re.M):
                blocks += 1
                line = text.count("\n", 0, match.start()) + 1
                for problem in schema_problems(self.validator, match.group(1)):
                    self.fail(f"{document}:{line}: yaml block fails the schema: {problem}")
        return blocks


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("courier", help="path to the courier binary")
    parser.add_argument("--source-dir", type=Path,
                        default=Path(__file__).resolve().parent.parent.parent)
    args = parser.parse_args()
    check = Check(args.courier, args.source_dir)
    files = check.check_examples()
    blocks = check.check_documents()
    cases = check.check_agreement_cases()
    for failure in check.failures:
        print("FAIL " + failure)
    print(f"checked {files} example files, {blocks} documentation blocks and {cases} "
          f"agreement cases: {len(check.failures)} problem(s)")
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
