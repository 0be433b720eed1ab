#include "kube-lite/selectors.h"

#include <cctype>
#include <charconv>

#include <fmt/format.h>

namespace univirt::kubelite {

using nlohmann::json;
using util::Error;
using util::ErrorCode;

namespace {

Error parseError(std::string message) {
  return Error{ErrorCode::InvalidArgument, "unable to parse requirement: " + std::move(message)};
}

bool isValueChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}

bool isKeyChar(char c) { return isValueChar(c) || c == '/'; }

bool validName(std::string_view name, size_t max) {
  if (name.empty() || name.size() > max) {
    return false;
  }
  if (!std::isalnum(static_cast<unsigned char>(name.front())) ||
      !std::isalnum(static_cast<unsigned char>(name.back()))) {
    return false;
  }
  for (char c : name) {
    if (!isValueChar(c)) {
      return false;
    }
  }
  return true;
}

bool validKey(std::string_view key) {
  auto slash = key.find('/');
  if (slash == std::string_view::npos) {
    return validName(key, 63);
  }
  std::string_view prefix = key.substr(0, slash);
  if (prefix.empty() || prefix.size() > 253) {
    return false;
  }
  for (char c : prefix) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.')) {
      return false;
    }
  }
  return validName(key.substr(slash + 1), 63);
}

bool validValue(std::string_view value) { return value.empty() || validName(value, 63); }

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  void skipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) {
      ++pos_;
    }
  }
  bool atEnd() {
    skipSpace();
    return pos_ >= text_.size();
  }
  char peek() {
    skipSpace();
    return pos_ < text_.size() ? text_[pos_] : '\0';
  }
  bool consume(std::string_view token) {
    skipSpace();
    if (text_.substr(pos_, token.size()) == token) {
      pos_ += token.size();
      return true;
    }
    return false;
  }
  std::string word(bool key) {
    skipSpace();
    size_t start = pos_;
    while (pos_ < text_.size() && (key ? isKeyChar(text_[pos_]) : isValueChar(text_[pos_]))) {
      ++pos_;
    }
    return std::string(text_.substr(start, pos_ - start));
  }
  // Keyword "in"/"notin" must be followed by space or '('.
  bool consumeKeyword(std::string_view keyword) {
    skipSpace();
    if (text_.substr(pos_, keyword.size()) != keyword) {
      return false;
    }
    size_t after = pos_ + keyword.size();
    if (after < text_.size() && isKeyChar(text_[after])) {
      return false;
    }
    pos_ = after;
    return true;
  }
  std::string rest() const { return std::string(text_.substr(pos_)); }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

util::Result<std::vector<std::string>> parseSet(Lexer& lex) {
  if (!lex.consume("(")) {
    return parseError(fmt::format("found '{}', expected: '('", lex.rest()));
  }
  std::vector<std::string> values;
  if (lex.consume(")")) {
    return parseError("for 'in', 'notin' operators, values set can't be empty");
  }
  while (true) {
    std::string value = lex.word(false);
    if (!validValue(value)) {
      return parseError(fmt::format("invalid label value: \"{}\"", value));
    }
    values.push_back(value);
    if (lex.consume(")")) {
      return values;
    }
    if (!lex.consume(",")) {
      return parseError(fmt::format("found '{}', expected: ',' or ')'", lex.rest()));
    }
  }
}

util::Result<LabelRequirement> parseRequirement(Lexer& lex) {
  LabelRequirement req;
  if (lex.consume("!")) {
    req.key = lex.word(true);
    if (!validKey(req.key)) {
      return parseError(fmt::format("invalid label key \"{}\"", req.key));
    }
    req.op = LabelOp::DoesNotExist;
    return req;
  }
  req.key = lex.word(true);
  if (!validKey(req.key)) {
    return parseError(fmt::format("invalid label key \"{}\"", req.key));
  }
  if (lex.atEnd() || lex.peek() == ',') {
    req.op = LabelOp::Exists;
    return req;
  }
  bool single = true;
  if (lex.consume("==") || lex.consume("=")) {
    req.op = LabelOp::Equals;
  } else if (lex.consume("!=")) {
    req.op = LabelOp::NotEquals;
  } else if (lex.consume(">")) {
    req.op = LabelOp::GreaterThan;
  } else if (lex.consume("<")) {
    req.op = LabelOp::LessThan;
  } else if (lex.consumeKeyword("notin")) {
    req.op = LabelOp::NotIn;
    single = false;
  } else if (lex.consumeKeyword("in")) {
    req.op = LabelOp::In;
    single = false;
  } else {
    return parseError(
        fmt::format("found '{}', expected: in, notin, =, ==, !=, gt, lt", lex.rest()));
  }
  if (!single) {
    auto values = parseSet(lex);
    if (!values) {
      return values.error();
    }
    req.values = std::move(*values);
    return req;
  }
  std::string value = lex.word(false);
  if (!validValue(value)) {
    return parseError(fmt::format("invalid label value: \"{}\"", value));
  }
  if (req.op == LabelOp::GreaterThan || req.op == LabelOp::LessThan) {
    long long parsed = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed);
    if (ec != std::errc() || ptr != value.data() + value.size()) {
      return parseError(
          fmt::format("for 'Gt', 'Lt' operators, the value must be an integer: \"{}\"", value));
    }
  }
  req.values.push_back(value);
  return req;
}

bool parseInt(const std::string& text, long long& out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

}  // namespace

util::Result<LabelSelector> LabelSelector::parse(std::string_view text) {
  LabelSelector selector;
  Lexer lex(text);
  if (lex.atEnd()) {
    return selector;
  }
  while (true) {
    auto req = parseRequirement(lex);
    if (!req) {
      return req.error();
    }
    selector.requirements_.push_back(std::move(*req));
    if (lex.atEnd()) {
      return selector;
    }
    if (!lex.consume(",")) {
      return parseError(fmt::format("found '{}', expected: ','", lex.rest()));
    }
  }
}

bool LabelSelector::matches(const json& labels) const {
  for (const auto& req : requirements_) {
    const json* value = nullptr;
    if (labels.is_object()) {
      auto it = labels.find(req.key);
      if (it != labels.end() && it->is_string()) {
        value = &*it;
      }
    }
    std::string text = value != nullptr ? value->get<std::string>() : std::string();
    auto in_values = [&] {
      return std::find(req.values.begin(), req.values.end(), text) != req.values.end();
    };
    switch (req.op) {
      case LabelOp::Exists:
        if (value == nullptr) {
          return false;
        }
        break;
      case LabelOp::DoesNotExist:
        if (value != nullptr) {
          return false;
        }
        break;
      case LabelOp::Equals:
      case LabelOp::In:
        if (value == nullptr || !in_values()) {
          return false;
        }
        break;
      case LabelOp::NotEquals:
      case LabelOp::NotIn:
        if (value != nullptr && in_values()) {
          return false;
        }
        break;
      case LabelOp::GreaterThan:
      case LabelOp::LessThan: {
        long long have = 0;
        long long want = 0;
        if (value == nullptr || !parseInt(text, have) || !parseInt(req.values[0], want)) {
          return false;
        }
        if (req.op == LabelOp::GreaterThan ? !(have > want) : !(have < want)) {
          return false;
        }
        break;
      }
    }
  }
  return true;
}

util::Result<FieldSelector> FieldSelector::parse(std::string_view text,
                                                 const std::set<std::string>& supported) {
  FieldSelector selector;
  // Split on unescaped commas, then each term on the first unescaped operator.
  std::vector<std::string> terms;
  std::string current;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      current += text[i];
      current += text[i + 1];
      ++i;
      continue;
    }
    if (text[i] == ',') {
      terms.push_back(current);
      current.clear();
      continue;
    }
    current += text[i];
  }
  if (!current.empty() || !terms.empty()) {
    terms.push_back(current);
  }
  auto unescape = [](std::string_view in) {
    std::string out;
    for (size_t i = 0; i < in.size(); ++i) {
      if (in[i] == '\\' && i + 1 < in.size()) {
        ++i;
      }
      out += in[i];
    }
    return out;
  };
  for (const auto& term : terms) {
    if (term.empty()) {
      continue;
    }
    size_t op_pos = std::string::npos;
    size_t op_len = 0;
    bool negated = false;
    for (size_t i = 0; i < term.size(); ++i) {
      if (term[i] == '\\') {
        ++i;
        continue;
      }
      if (term.compare(i, 2, "!=") == 0) {
        op_pos = i, op_len = 2, negated = true;
        break;
      }
      if (term.compare(i, 2, "==") == 0) {
        op_pos = i, op_len = 2;
        break;
      }
      if (term[i] == '=') {
        op_pos = i, op_len = 1;
        break;
      }
    }
    if (op_pos == std::string::npos) {
      return Error{ErrorCode::InvalidArgument,
                   fmt::format("invalid selector: '{}'; can't understand '{}'", text, term)};
    }
    FieldRequirement req;
    req.field = unescape(term.substr(0, op_pos));
    while (!req.field.empty() && req.field.back() == ' ') {
      req.field.pop_back();
    }
    while (!req.field.empty() && req.field.front() == ' ') {
      req.field.erase(0, 1);
    }
    req.value = unescape(term.substr(op_pos + op_len));
    req.negated = negated;
    if (supported.count(req.field) == 0) {
      return Error{ErrorCode::InvalidArgument,
                   fmt::format("field label not supported: {}", req.field)};
    }
    selector.requirements_.push_back(std::move(req));
  }
  return selector;
}

std::string fieldValue(const json& object, std::string_view dotted_path) {
  const json* node = &object;
  size_t start = 0;
  while (start <= dotted_path.size()) {
    size_t dot = dotted_path.find('.', start);
    std::string part(dotted_path.substr(
        start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (!node->is_object()) {
      return "";
    }
    auto it = node->find(part);
    if (it == node->end()) {
      return "";
    }
    node = &*it;
    if (dot == std::string_view::npos) {
      break;
    }
    start = dot + 1;
  }
  if (node->is_string()) {
    return node->get<std::string>();
  }
  if (node->is_null()) {
    return "";
  }
  return node->dump();
}

bool FieldSelector::matches(const json& object) const {
  for (const auto& req : requirements_) {
    bool equal = fieldValue(object, req.field) == req.value;
    if (equal == req.negated) {
      return false;
    }
  }
  return true;
}

const std::string* FieldSelector::exactName() const {
  for (const auto& req : requirements_) {
    if (req.field == "metadata.name" && !req.negated) {
      return &req.value;
    }
  }
  return nullptr;
}

}  // namespace univirt::kubelite
