#!/usr/bin/env bash
# Builds the Debian packages from a build tree (cpack, packaging/CMakeLists.txt), unpacks
# them with dpkg-deb -x and checks them as an installer would find them:
#   courier:     the packaged binary runs and accepts the packaged configuration; the
#                configuration is a conffile; the maintainer scripts parse; the unit file
#                passes `systemd-analyze verify` (skipped, saying so, without systemd);
#                dpkg-shlibdeps found the runtime libraries.
#   courier-dev: headers and CMake package; examples/library configures against it.
#   check_package.sh BUILD_DIR SOURCE_DIR COURIER_BINARY (the built one, for its version)
set -euo pipefail
build_dir=$(realpath "$1")
source_dir=$(realpath "$2")
built_courier=$3
work=$(mktemp -d /tmp/courier-package-XXXXXX)
trap 'rm -rf "$work"' EXIT

fail() {
  echo "check_package: $*" >&2
  exit 1
}

cpack --config "$build_dir/CPackConfig.cmake" -G DEB -B "$work/out" > "$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log" >&2; fail "cpack -G DEB failed (log above)"; }

version=$("$built_courier" version | awk '{print $2}')
runtime_deb=$work/out/courier_${version}_amd64.deb
dev_deb=$work/out/courier-dev_${version}_amd64.deb
[[ -f $runtime_deb && -f $dev_deb ]] ||
  fail "expected courier_${version}_amd64.deb and courier-dev_${version}_amd64.deb, got: $(ls "$work/out")"

# --- courier ---
root=$work/courier
dpkg-deb -x "$runtime_deb" "$root"
dpkg-deb -e "$runtime_deb" "$root.control"
[[ $("$root/usr/bin/courier" version) == "courier $version" ]] ||
  fail "the packaged binary says '$("$root/usr/bin/courier" version)', the package is $version"
"$root/usr/bin/courier" validate -c "$root/etc/courier/courier.yaml" > /dev/null ||
  fail "courier validate refuses the packaged /etc/courier/courier.yaml"
grep -qx /etc/courier/courier.yaml "$root.control/conffiles" ||
  fail "/etc/courier/courier.yaml is not a conffile"
for script in postinst prerm postrm; do
  sh -n "$root.control/$script" || fail "$script does not parse"
done
grep -q 'adduser --system' "$root.control/postinst" || fail "postinst creates no system user"
depends=$(dpkg-deb -f "$runtime_deb" Depends)
[[ $depends == *libpq5* && $depends == *adduser* ]] ||
  fail "Depends lacks libpq5 or adduser (did dpkg-shlibdeps run?): $depends"

unit=$root/usr/lib/systemd/system/courier.service
[[ -f $unit ]] || fail "no courier.service in the package"
for line in 'ExecStart=/usr/bin/courier run -c /etc/courier/courier.yaml' 'User=courier' \
    'Restart=on-failure' 'KillSignal=SIGTERM'; do
  grep -qxF "$line" "$unit" || fail "courier.service lacks '$line'"
done
if command -v systemd-analyze > /dev/null; then
  # verify resolves the unit's dependencies and ExecStart inside --root: systemd's own
  # units from this machine, the packaged binary and unit. Any message is a failure
  # (unknown keys and bad values are only warnings to systemd).
  verify_root=$work/verify-root
  mkdir -p "$verify_root/usr/lib/systemd"
  cp -r /usr/lib/systemd/system "$verify_root/usr/lib/systemd/"
  cp -r "$root/usr/bin" "$verify_root/usr/"
  cp "$unit" "$verify_root/usr/lib/systemd/system/"
  messages=$(systemd-analyze verify --root="$verify_root" courier.service 2>&1) ||
    fail "systemd-analyze verify failed: $messages"
  [[ -z $messages ]] || fail "systemd-analyze verify: $messages"
else
  echo "check_package: systemd-analyze not installed, courier.service not verified"
fi

# --- courier-dev ---
dev_root=$work/courier-dev
dpkg-deb -x "$dev_deb" "$dev_root"
for header in "$source_dir"/include/courier/*.h; do
  [[ -f $dev_root/usr/include/courier/$(basename "$header") ]] ||
    fail "courier-dev lacks include/courier/$(basename "$header")"
done
[[ -f $dev_root/usr/lib/cmake/courier/courierConfig.cmake ]] || fail "courier-dev has no CMake package"
cmake -S "$source_dir/examples/library" -B "$work/consumer" -G Ninja \
  -DCMAKE_PREFIX_PATH="$dev_root/usr" > "$work/consumer.log" 2>&1 ||
  { cat "$work/consumer.log" >&2; fail "find_package(courier) against courier-dev failed"; }

echo "check_package: courier_${version}_amd64.deb and courier-dev_${version}_amd64.deb are good"
