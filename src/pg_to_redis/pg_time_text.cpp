#include "pg_to_redis/pg_time_text.h"

#include <string>

namespace courier::pg_to_redis {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads the fields of `text` front to back.
class CivilTimeReader {
 public:
  explicit CivilTimeReader(std::string_view text) : text_(text) {}

  bool at_end() const { return pos_ == text_.size(); }
  bool take(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool take(std::string_view s) {
    if (text_.substr(pos_, s.size()) != s) return false;
    pos_ += s.size();
    return true;
  }
  // Between min_digits and max_digits decimal digits.
  std::optional<int64_t> number(size_t min_digits, size_t max_digits) {
    size_t end = pos_;
    while (end < text_.size() && end - pos_ < max_digits && is_digit(text_[end])) ++end;
    if (end - pos_ < min_digits) return std::nullopt;
    int64_t value = 0;
    for (; pos_ < end; ++pos_) value = value * 10 + (text_[pos_] - '0');
    return value;
  }
  std::string_view digits() {
    const size_t start = pos_;
    while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }
  size_t position() const { return pos_; }
  std::string_view since(size_t start) const { return text_.substr(start, pos_ - start); }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

bool read_date(CivilTimeReader& in, CivilTime& out) {
  const auto year = in.number(4, 7);
  if (!year || !in.take('-')) return false;
  const auto month = in.number(2, 2);
  if (!month || !in.take('-')) return false;
  const auto day = in.number(2, 2);
  if (!day) return false;
  out.year = *year;
  out.month = static_cast<int>(*month);
  out.day = static_cast<int>(*day);
  return out.month >= 1 && out.month <= 12 && out.day >= 1 && out.day <= 31;
}

bool read_time_of_day(CivilTimeReader& in, CivilTime& out) {
  const auto hour = in.number(2, 2);
  if (!hour || !in.take(':')) return false;
  const auto minute = in.number(2, 2);
  if (!minute || !in.take(':')) return false;
  const auto second = in.number(2, 2);
  if (!second) return false;
  out.hour = static_cast<int>(*hour);
  out.minute = static_cast<int>(*minute);
  out.second = static_cast<int>(*second);
  if (in.take('.')) {
    out.fraction = in.digits();
    if (out.fraction.empty() || out.fraction.size() > 6) return false;
  }
  return out.hour <= 24 && out.minute <= 59 && out.second <= 60;
}

// "+05", "-03:30", "+05:53:28": Postgres prints minutes and seconds only when non-zero.
bool read_offset(CivilTimeReader& in, CivilTime& out) {
  const size_t start = in.position();
  int64_t sign = 1;
  if (in.take('-')) {
    sign = -1;
  } else if (!in.take('+')) {
    return false;
  }
  const auto hours = in.number(2, 2);
  if (!hours) return false;
  int64_t seconds = *hours * 3600;
  if (in.take(':')) {
    const auto minutes = in.number(2, 2);
    if (!minutes) return false;
    seconds += *minutes * 60;
    if (in.take(':')) {
      const auto secs = in.number(2, 2);
      if (!secs) return false;
      seconds += *secs;
    }
  }
  out.offset = in.since(start);
  out.offset_seconds = sign * seconds;
  return true;
}

// Postgres counts BC years from 1 ("0044 BC"); ISO 8601 counts 1 BC as year 0.
bool read_era(CivilTimeReader& in, CivilTime& out) {
  if (in.take(" BC")) out.year = 1 - out.year;
  return in.at_end();
}

}  // namespace

std::optional<CivilTime> parse_pg_time(TimeShape shape, std::string_view text) {
  CivilTimeReader in(text);
  CivilTime out;
  if (!read_date(in, out)) return std::nullopt;
  if (shape != TimeShape::kDate) {
    if (!in.take(' ') || !read_time_of_day(in, out)) return std::nullopt;
    if (shape == TimeShape::kTimestamptz && !read_offset(in, out)) return std::nullopt;
  }
  if (!read_era(in, out)) return std::nullopt;
  return out;
}

namespace {

void append_padded(std::string& out, int64_t value, int width) {
  std::string digits = std::to_string(value);
  if (static_cast<int>(digits.size()) < width)
    out.append(static_cast<size_t>(width) - digits.size(), '0');
  out += digits;
}

// "+05" -> "+05:00"; "+05:30" and "+05:53:28" stay.
void append_iso_offset(std::string& out, std::string_view offset) {
  out += offset;
  if (offset.size() == 3) out += ":00";
}

}  // namespace

std::string iso_8601(TimeShape shape, const CivilTime& t) {
  std::string out;
  if (t.year < 0) out += '-';
  append_padded(out, t.year < 0 ? -t.year : t.year, 4);
  out += '-';
  append_padded(out, t.month, 2);
  out += '-';
  append_padded(out, t.day, 2);
  if (shape == TimeShape::kDate) return out;
  out += 'T';
  append_padded(out, t.hour, 2);
  out += ':';
  append_padded(out, t.minute, 2);
  out += ':';
  append_padded(out, t.second, 2);
  if (!t.fraction.empty()) {
    out += '.';
    out += t.fraction;
  }
  if (shape == TimeShape::kTimestamptz) append_iso_offset(out, t.offset);
  return out;
}

int64_t days_from_civil(int64_t year, int month, int day) {
  year -= month <= 2 ? 1 : 0;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t year_of_era = year - era * 400;
  const int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

// Whole seconds and microseconds are kept apart: in microseconds alone, years past
// 294 276 (Postgres dates reach 5 874 897) would not fit in 64 bits.
std::string epoch_decimal(const CivilTime& t) {
  int64_t seconds = days_from_civil(t.year, t.month, t.day) * 86400 + t.hour * 3600 +
                    t.minute * 60 + t.second - t.offset_seconds;
  int64_t micros = 0;  // after `seconds`, towards the future
  for (size_t i = 0; i < 6; ++i)
    micros = micros * 10 + (i < t.fraction.size() ? t.fraction[i] - '0' : 0);
  const bool negative = seconds < 0;
  if (negative) {  // -2 s + 0.25 s is -1.75 s
    seconds = -seconds;
    if (micros > 0) {
      seconds -= 1;
      micros = 1'000'000 - micros;
    }
  }
  std::string out = std::to_string(seconds);
  if (negative) out.insert(out.begin(), '-');
  out += '.';
  append_padded(out, micros, 6);
  return out;
}

}  // namespace courier::pg_to_redis
