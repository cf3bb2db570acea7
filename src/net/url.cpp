#include "net/url.h"

#include <algorithm>

#include "text/hex.h"

namespace courier::net {
namespace {

constexpr int kMaxPort = 65535;

Status invalid(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}

bool is_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// The scheme in lower case, if `text` is one (RFC 3986: a letter, then letters, digits,
// '+', '-' or '.'). Anything else is not quoted back: it may be part of a password.
std::optional<std::string> lower_case_scheme(std::string_view text) {
  if (text.empty() || !is_letter(text.front())) return std::nullopt;
  std::string scheme;
  for (char c : text) {
    bool allowed = is_letter(c) || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
    if (!allowed) return std::nullopt;
    scheme += c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return scheme;
}

// "postgresql://… or postgres://…"
std::string url_examples(std::initializer_list<std::string_view> schemes) {
  std::string out;
  for (std::string_view scheme : schemes) {
    out += (out.empty() ? "" : " or ") + std::string(scheme) + "://…";
  }
  return out;
}

Status parse_user_info(std::string_view text, Url& url) {
  size_t colon = text.find(':');
  Result<std::string> username = percent_decode(text.substr(0, colon), "the user name");
  if (!username.ok()) return username.status();
  url.username = std::move(*username);
  if (colon == std::string_view::npos) return Status::Ok();
  Result<std::string> password = percent_decode(text.substr(colon + 1), "the password");
  if (!password.ok()) return password.status();
  url.password = std::move(*password);
  url.has_password = true;
  return Status::Ok();
}

// Parameters are named by position, not by key: with an unencoded '?' in a password, the
// "key" would be part of the password.
Status parse_query(std::string_view query, Url& url) {
  for (int position = 1; !query.empty();) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    std::string name = "query parameter " + std::to_string(position++);
    size_t equals = pair.find('=');
    if (equals == std::string_view::npos || equals == 0) {
      return invalid(name + " must have the form key=value");
    }
    Result<std::string> key = percent_decode(pair.substr(0, equals), "the name of " + name);
    if (!key.ok()) return key.status();
    Result<std::string> value = percent_decode(pair.substr(equals + 1), "the value of " + name);
    if (!value.ok()) return value.status();
    url.query.emplace_back(std::move(*key), std::move(*value));
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> percent_decode(std::string_view text, std::string_view what) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    int high = i + 2 < text.size() ? text::hex_digit_value(text[i + 1]) : -1;
    int low = i + 2 < text.size() ? text::hex_digit_value(text[i + 2]) : -1;
    if (high < 0 || low < 0) {
      return invalid("invalid '%' escape in " + std::string(what) +
                     "; a %-escape is '%' and two hex digits (%25 for '%' itself)");
    }
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

Result<HostPortText> split_host_port(std::string_view text) {
  if (text.starts_with('[')) {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return invalid("missing ']' after the IPv6 address");
    std::string_view after = text.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) return invalid("unexpected text after ']'");
    std::optional<std::string_view> port;
    if (!after.empty()) port = after.substr(1);
    return HostPortText{text.substr(1, close - 1), port};
  }
  size_t colon = text.find(':');
  if (colon == std::string_view::npos) return HostPortText{text, std::nullopt};
  if (text.find(':', colon + 1) != std::string_view::npos) {
    return invalid("an IPv6 address without brackets");
  }
  return HostPortText{text.substr(0, colon), text.substr(colon + 1)};
}

std::optional<int> parse_port(std::string_view text, int min_port) {
  if (text.empty()) return std::nullopt;
  int port = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    port = port * 10 + (c - '0');
    if (port > kMaxPort) return std::nullopt;
  }
  if (port < min_port) return std::nullopt;
  return port;
}

Result<HostPort> parse_host_port(std::string_view text, std::optional<int> default_port,
                                 int min_port) {
  const std::string quoted = "'" + std::string(text) + "'";
  Result<HostPortText> parts = split_host_port(text);
  if (!parts.ok()) {
    return invalid(parts.status().message() + " in " + quoted +
                   "; expected 'host:port', or '[ipv6]:port' for an IPv6 address");
  }
  if (parts->host.empty()) return invalid("missing host in " + quoted + "; expected 'host:port'");
  if (!parts->port && !default_port) {
    return invalid("missing port in " + quoted + "; expected 'host:port'");
  }
  std::optional<int> port = parts->port ? parse_port(*parts->port, min_port) : default_port;
  if (!port) {
    return invalid("invalid port in " + quoted + "; expected an integer in " +
                   std::to_string(min_port) + ".." + std::to_string(kMaxPort));
  }
  return HostPort{std::string(parts->host), *port};
}

std::string format_host_port(std::string_view host, int port) {
  std::string out(host);
  if (host.find(':') != std::string_view::npos) out = "[" + out + "]";
  return out + ":" + std::to_string(port);
}

Result<Url> parse_url(std::string_view text, std::initializer_list<std::string_view> schemes) {
  size_t scheme_end = text.find("://");
  std::optional<std::string> scheme = scheme_end == std::string_view::npos
                                          ? std::nullopt
                                          : lower_case_scheme(text.substr(0, scheme_end));
  if (!scheme) return invalid("expected a url like " + url_examples(schemes));
  if (std::find(schemes.begin(), schemes.end(), *scheme) == schemes.end()) {
    return invalid("unsupported url scheme '" + *scheme + "'; expected a url like " +
                   url_examples(schemes));
  }
  Url url{.scheme = std::move(*scheme)};
  std::string_view rest = text.substr(scheme_end + 3);
  size_t question = rest.find('?');
  std::string_view query =
      question == std::string_view::npos ? std::string_view() : rest.substr(question + 1);
  rest = rest.substr(0, question);
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) {
    if (Status s = parse_user_info(rest.substr(0, at), url); !s.ok()) return s;
    rest.remove_prefix(at + 1);
  }
  size_t slash = rest.find('/');
  url.hosts = rest.substr(0, slash);
  if (slash != std::string_view::npos) url.path = rest.substr(slash + 1);
  if (Status s = parse_query(query, url); !s.ok()) return s;
  return url;
}

}  // namespace courier::net
