/// @file text_file.hpp
/// @brief Text-file plumbing shared by the readers and writers of `cimpute::io`: whole-file reads
/// with transparent gzip decompression, a line iterator, field splitting, number parsing and
/// formatting, atomic writes and HDF5 sniffing. Everything here lives in `cimpute::detail`.
#pragma once

#include "cimpute/core/config.hpp"
#include "cimpute/core/errors.hpp"

#include <array>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <unordered_map>
#include <vector>

#if CIMPUTE_HAS_ZLIB
#include <zlib.h>
#endif

namespace cimpute {
namespace detail {

/// The 8-byte signature that starts every HDF5 file (without a user block).
inline constexpr std::string_view hdf5_signature{"\x89HDF\r\n\x1a\n", 8};

/// True when `buffer` starts with the HDF5 signature.
inline bool has_hdf5_signature(std::string_view buffer) noexcept {
  return buffer.substr(0, hdf5_signature.size()) == hdf5_signature;
}

/// True when `buffer` starts with the gzip magic bytes 0x1f 0x8b.
inline bool has_gzip_magic(std::string_view buffer) noexcept {
  return buffer.size() >= 2 && static_cast<unsigned char>(buffer[0]) == 0x1f &&
         static_cast<unsigned char>(buffer[1]) == 0x8b;
}

/// True when the file at `path` starts with the HDF5 signature (false when it cannot be read).
inline bool is_hdf5_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::array<char, 8> head{};
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  if (in.gcount() != static_cast<std::streamsize>(head.size())) return false;
  return has_hdf5_signature(std::string_view(head.data(), head.size()));
}

/// The bytes of a file, unmodified. Throws `invalid_argument` naming `function` and the file when
/// it cannot be opened or read.
inline std::string read_raw_file(const std::string& path, const char* function) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw_invalid(function, "'", path, "' is a directory, expected a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_invalid(function, "cannot open file '", path, "'");
  std::string out;
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size > 0) {
    in.seekg(0, std::ios::beg);
    out.resize(static_cast<std::size_t>(size));
    in.read(out.data(), size);
    if (in.gcount() != size) throw_invalid(function, "cannot read file '", path, "'");
  }
  return out;
}

/// The decompressed content of a gzip file (zlib `gzopen`/`gzread`). Throws `invalid_argument`
/// when the stream is corrupt or truncated, or when cimpute was built without zlib.
inline std::string read_gzip_file(const std::string& path, const char* function) {
#if CIMPUTE_HAS_ZLIB
  gzFile gz = gzopen(path.c_str(), "rb");
  if (gz == nullptr) throw_invalid(function, "cannot open gzip file '", path, "'");
  std::string out;
  constexpr unsigned chunk = 1u << 20;
  for (;;) {
    const std::size_t old = out.size();
    out.resize(old + chunk);
    const int got = gzread(gz, out.data() + old, chunk);
    if (got < 0) {
      int errnum = 0;
      const std::string msg = gzerror(gz, &errnum);
      gzclose(gz);
      throw_invalid(function, "corrupt gzip file '", path, "': ", msg);
    }
    out.resize(old + static_cast<std::size_t>(got));
    if (got == 0) break;
  }
  int errnum = 0;
  const std::string msg = gzerror(gz, &errnum);
  gzclose(gz);
  if (errnum != Z_OK && errnum != Z_STREAM_END)
    throw_invalid(function, "corrupt or truncated gzip file '", path, "': ", msg);
  return out;
#else
  throw_invalid(function, "'", path,
                "' is gzip-compressed but cimpute was built without zlib support "
                "(CIMPUTE_HAS_ZLIB=0); rebuild with CIMPUTE_WITH_ZLIB=ON or decompress the file");
#endif
}

/// The content of a file, gunzipped when it starts with the gzip magic bytes.
inline std::string read_file(const std::string& path, const char* function) {
  std::string raw = read_raw_file(path, function);
  if (!has_gzip_magic(raw)) return raw;
  raw.clear();
  raw.shrink_to_fit();
  return read_gzip_file(path, function);
}

/// Iterates over the lines of a buffer without copying: each line excludes its `\n` and a trailing
/// `\r`. A final line without a newline is returned; a trailing newline does not produce an extra
/// empty line.
class LineReader {
public:
  explicit LineReader(std::string_view buffer) noexcept : m_buf(buffer) {}
  /// Next line into `line`; false at the end of the buffer.
  bool next(std::string_view& line) noexcept {
    if (m_pos >= m_buf.size()) return false;
    const char* begin = m_buf.data() + m_pos;
    const std::size_t left = m_buf.size() - m_pos;
    const void* nl = std::memchr(begin, '\n', left);
    std::size_t len = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - begin) : left;
    m_pos += len + (nl ? 1 : 0);
    ++m_line;
    if (len > 0 && begin[len - 1] == '\r') --len;
    line = std::string_view(begin, len);
    return true;
  }
  /// 1-based number of the line last returned (0 before the first call).
  std::size_t line_number() const noexcept { return m_line; }
  /// Bytes not yet consumed.
  std::size_t remaining() const noexcept { return m_buf.size() - m_pos; }
  /// True when every remaining byte is whitespace (only blank lines are left).
  bool only_blank_left() const noexcept {
    for (std::size_t i = m_pos; i < m_buf.size(); ++i)
      if (!is_space(m_buf[i])) return false;
    return true;
  }
  /// True for space, tab, `\r` and `\n`.
  static bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

private:
  std::string_view m_buf;
  std::size_t m_pos = 0;
  std::size_t m_line = 0;
};

/// Number of lines in a buffer, not counting trailing blank (whitespace-only) lines.
inline std::size_t count_lines(std::string_view buffer) noexcept {
  std::size_t end = buffer.size();
  while (end > 0 && LineReader::is_space(buffer[end - 1])) --end;
  if (end == 0) return 0;
  std::size_t n = 1;
  const char* p = buffer.data();
  const char* last = p + end;
  while ((p = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(last - p))))) {
    ++n;
    ++p;
  }
  return n;
}

/// True when the line holds only whitespace.
inline bool is_blank(std::string_view line) noexcept {
  for (char c : line)
    if (!LineReader::is_space(c)) return false;
  return true;
}

/// `s` without leading and trailing spaces and tabs.
inline std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// Split a line on `delim` into views of the line (no quoting). `out` is cleared first.
inline void split_fields(std::string_view line, char delim, std::vector<std::string_view>& out) {
  out.clear();
  std::size_t start = 0;
  for (;;) {
    const void* hit = std::memchr(line.data() + start, delim, line.size() - start);
    if (!hit) {
      out.push_back(line.substr(start));
      return;
    }
    const std::size_t pos = static_cast<std::size_t>(static_cast<const char*>(hit) - line.data());
    out.push_back(line.substr(start, pos - start));
    start = pos + 1;
  }
}

/// Split a delimited record with CSV quoting: a field that starts with `"` runs to the matching
/// closing quote, `""` inside it stands for one `"`. Unescaped copies live in `scratch` (cleared
/// first; a deque so earlier views stay valid). Returns the 1-based number of the first malformed
/// field (unterminated quote, or text after a closing quote), 0 on success. A quoted field cannot
/// span lines.
inline std::size_t split_quoted(std::string_view line, char delim,
                                std::vector<std::string_view>& out,
                                std::deque<std::string>& scratch) {
  out.clear();
  scratch.clear();
  if (line.find('"') == std::string_view::npos) {
    split_fields(line, delim, out);
    return 0;
  }
  std::size_t i = 0;
  for (;;) {
    if (i < line.size() && line[i] == '"') {
      std::size_t j = i + 1;
      bool escaped = false;
      for (;;) {
        if (j >= line.size()) return out.size() + 1; // unterminated quote
        if (line[j] == '"') {
          if (j + 1 < line.size() && line[j + 1] == '"') {
            escaped = true;
            j += 2;
            continue;
          }
          break;
        }
        ++j;
      }
      std::string_view inner = line.substr(i + 1, j - i - 1);
      if (escaped) {
        std::string s;
        s.reserve(inner.size());
        for (std::size_t k = 0; k < inner.size(); ++k) {
          s.push_back(inner[k]);
          if (inner[k] == '"') ++k; // skip the second quote of a pair
        }
        scratch.push_back(std::move(s));
        inner = scratch.back();
      }
      out.push_back(inner);
      i = j + 1;
      if (i == line.size()) return 0;
      if (line[i] != delim) return out.size(); // text after the closing quote
      ++i;
      if (i == line.size()) {
        out.push_back(std::string_view());
        return 0;
      }
    } else {
      const std::size_t pos = line.find(delim, i);
      if (pos == std::string_view::npos) {
        out.push_back(line.substr(i));
        return 0;
      }
      out.push_back(line.substr(i, pos - i));
      i = pos + 1;
      if (i == line.size()) {
        out.push_back(std::string_view());
        return 0;
      }
    }
  }
}

/// Tokens accepted as a missing number (besides the empty cell and what `std::from_chars` reads
/// as NaN: `nan`, `NaN`, ...).
inline bool is_missing_number_token(std::string_view s) noexcept {
  return s.empty() || s == "NA" || s == "na" || s == "N/A" || s == "#N/A";
}

/// Parse `[first, last)` as a number (leading `+` allowed, surrounding spaces ignored). Empty,
/// `NA`, `na`, `N/A`, `#N/A`, `nan`, `NaN` give NaN; `inf` is accepted. Values beyond the range of
/// `Scalar` become +-inf or 0 as in IEEE conversion. False when the text is not a number.
template <class Scalar>
bool parse_number(const char* first, const char* last, Scalar& out) noexcept {
  static_assert(std::is_floating_point<Scalar>::value, "parse_number: Scalar must be float/double");
  while (first < last && *first == ' ') ++first;
  while (last > first && last[-1] == ' ') --last;
  const std::string_view s(first, static_cast<std::size_t>(last - first));
  if (is_missing_number_token(s)) {
    out = std::numeric_limits<Scalar>::quiet_NaN();
    return true;
  }
  if (*first == '+') {
    ++first;
    if (first == last || *first == '-' || *first == '+') return false;
  }
  auto res = std::from_chars(first, last, out);
  if (res.ec == std::errc() && res.ptr == last) return true;
  if (res.ec == std::errc::result_out_of_range && res.ptr == last) {
    long double wide = 0; // over- or underflow of Scalar: convert from the wider type
    auto res2 = std::from_chars(first, last, wide);
    if (res2.ec == std::errc() && res2.ptr == last) {
      out = static_cast<Scalar>(wide);
      return true;
    }
    // Beyond even long double: infer the direction from the exponent's sign.
    const std::string_view t(first, static_cast<std::size_t>(last - first));
    const std::size_t e = t.find_first_of("eE");
    const bool negative = t.front() == '-';
    const bool tiny = e != std::string_view::npos && e + 1 < t.size() && t[e + 1] == '-';
    out = tiny ? Scalar(0) : std::numeric_limits<Scalar>::infinity();
    if (negative) out = -out;
    return true;
  }
  return false;
}

/// Parse a whole string as a non-negative integer no larger than `max`. False on failure.
inline bool parse_count(std::string_view s, std::uint64_t max, std::uint64_t& out) noexcept {
  s = trim(s);
  if (s.empty()) return false;
  auto res = std::from_chars(s.data(), s.data() + s.size(), out);
  return res.ec == std::errc() && res.ptr == s.data() + s.size() && out <= max;
}

/// Append `value` to `out`: NaN as `NaN`; `precision` -1 writes the shortest text that reads back
/// to the identical value (at most 9 significant digits for float, 17 for double), otherwise
/// `precision` significant digits.
template <class Scalar>
void append_number(std::string& out, Scalar value, int precision) {
  static_assert(std::is_floating_point<Scalar>::value,
                "append_number: Scalar must be float/double");
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  char buf[128];
  const auto res = precision < 0 ? std::to_chars(buf, buf + sizeof(buf), value)
                                 : std::to_chars(buf, buf + sizeof(buf), value,
                                                 std::chars_format::general, precision);
  CIMPUTE_ASSERT(res.ec == std::errc());
  out.append(buf, res.ptr);
}

/// Check a precision argument of a writer: -1 (round trip) or 1..max_digits10 of `Scalar`.
template <class Scalar>
void check_precision(int precision, const char* function) {
  if (precision != -1 && (precision < 1 || precision > std::numeric_limits<Scalar>::max_digits10))
    throw_invalid(function, "precision ", precision, " must be -1 (round trip) or in [1, ",
                  std::numeric_limits<Scalar>::max_digits10, "]");
}

/// Throw `invalid_argument` when a string to be written as one field contains `delim`, a newline
/// or a carriage return (the file would not read back).
inline void check_writable_field(std::string_view s, char delim, const char* function,
                                 const char* what) {
  for (char c : s)
    if (c == delim || c == '\n' || c == '\r')
      throw_invalid(function, what, " '", s, "' contains ",
                    c == '\n' ? "a newline" : (c == '\r' ? "a carriage return" : "the delimiter"),
                    ", which the file format cannot hold");
}

/// Write `out` to `os` and clear it once it holds more than `threshold` bytes (or always, with
/// threshold 0): the writers build lines in a string and flush it in large blocks.
inline void flush_buffer(std::ostream& os, std::string& out, std::size_t threshold = 1 << 16) {
  if (out.size() > threshold || threshold == 0) {
    os.write(out.data(), static_cast<std::streamsize>(out.size()));
    out.clear();
  }
}

/// True when `path` exists (following symlinks) and is not a regular file: a device such as
/// /dev/stdout or /dev/null, a FIFO, a socket or a directory. Renaming a temporary onto such a
/// path would replace it (for root, even a node in /dev), so writers must not.
inline bool is_special_file(const std::string& path) {
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  return !ec && std::filesystem::exists(st) && !std::filesystem::is_regular_file(st);
}

/// Create a file atomically: `create(tmp)` writes the whole file at `tmp` (a fresh name
/// `path + ".tmp."` followed by 8 random hex digits in the same folder), which is then renamed onto
/// `path`. On any exception the temporary file is removed and `path` is left untouched. Used by
/// every writer, text or HDF5. Throws when `path` is a directory, a device or a FIFO (see
/// `write_file_atomic` for streams).
template <class CreateFn>
void create_file_atomic(const std::string& link_or_path, const char* function, CreateFn&& create) {
  // A symbolic link is followed: its target is replaced, the link stays.
  std::string path = link_or_path;
  {
    std::error_code lec;
    if (std::filesystem::is_symlink(std::filesystem::symlink_status(path, lec))) {
      path = std::filesystem::weakly_canonical(path, lec).string();
      if (lec)
        throw_invalid(function, "cannot resolve the link '", link_or_path, "': ", lec.message());
    }
  }
  if (is_special_file(path))
    throw_invalid(function, "'", path, "' is not a regular file (a directory, device or FIFO)");
  static std::atomic<unsigned> counter{0};
  std::random_device rd;
  std::string tmp;
  std::error_code ec;
  for (int attempt = 0;; ++attempt) {
    const unsigned tag = rd() ^ (counter.fetch_add(1) * 2654435761u);
    char hex[9];
    const auto r = std::to_chars(hex, hex + 8, tag, 16);
    tmp = path + ".tmp." + std::string(hex, r.ptr);
    if (!std::filesystem::exists(tmp, ec)) break;
    if (attempt > 100)
      throw_invalid(function, "cannot find a free temporary name for '", path, "'");
  }
  try {
    create(static_cast<const std::string&>(tmp));
    std::filesystem::rename(tmp, path, ec);
    if (ec) throw_invalid(function, "cannot rename '", tmp, "' to '", path, "': ", ec.message());
  } catch (...) {
    std::filesystem::remove(tmp, ec);
    throw;
  }
}

/// Write a text or binary file atomically through `write(std::ostream&)` (see
/// `create_file_atomic`). A character device or FIFO (e.g. /dev/stdout, a pipe) is written to
/// directly, since it cannot be replaced atomically; a directory throws.
template <class WriteFn>
void write_file_atomic(const std::string& path, const char* function, WriteFn&& write) {
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (!ec && (std::filesystem::is_character_file(st) || std::filesystem::is_fifo(st))) {
    std::ofstream os(path, std::ios::binary);
    if (!os) throw_invalid(function, "cannot open '", path, "' for writing");
    write(static_cast<std::ostream&>(os));
    os.flush();
    if (!os) throw_invalid(function, "error while writing '", path, "'");
    return;
  }
  create_file_atomic(path, function, [&](const std::string& tmp) {
    std::ofstream os(tmp, std::ios::binary | std::ios::trunc);
    if (!os) throw_invalid(function, "cannot create file '", tmp, "'");
    write(static_cast<std::ostream&>(os));
    os.flush();
    if (!os) throw_invalid(function, "error while writing '", tmp, "'");
    os.close();
    if (os.fail()) throw_invalid(function, "error while closing '", tmp, "'");
  });
}

/// Record `id` in `seen` (mapped to where it was first seen, e.g. its line); throw `parse_error`
/// "function: duplicate <what> 'id' (first seen on <where_word> N)" at (name, line, column) when it
/// is there already. The views must outlive `seen`.
inline void check_unique(std::unordered_map<std::string_view, std::size_t>& seen,
                         const char* function, std::string_view id, std::size_t where,
                         const std::string& name, std::size_t line, std::size_t column,
                         const char* what, const char* where_word) {
  auto [it, inserted] = seen.emplace(id, where);
  if (!inserted)
    throw parse_error(name, line, column,
                      cat(function, ": duplicate ", what, " '", id, "' (first seen on ", where_word,
                          " ", it->second, "); ", what, "s must be unique"));
}

/// True when `a * b` (e.g. rows x columns declared by a header) exceeds `limit` (e.g. the bytes
/// of the file), computed without overflow.
inline bool product_exceeds(std::uint64_t a, std::uint64_t b, std::uint64_t limit) noexcept {
  return a != 0 && b > limit / a;
}

} // namespace detail
} // namespace cimpute
