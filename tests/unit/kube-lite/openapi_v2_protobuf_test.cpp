// Decodes kube-lite's /openapi/v2 protobuf with an independent decoder — protoc (Debian
// protobuf-compiler) and testdata/openapi_v2_subset.proto, gnostic's message and field numbers —
// and checks the structure kubectl 1.27 reads: paths, PATCH operations with the
// x-kubernetes-group-version-kind extension and the fieldValidation query parameter, and the
// CRD definitions.

#include "kube-lite/openapi_v2_protobuf.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kube-lite/openapi_v2.h"
#include "kube-lite/openapi_v2_schema.h"
#include "kube-lite/protobuf_writer.h"
#include "unit/kube-lite/openapi_v2_fixture.h"

extern char** environ;

namespace univirt::kubelite {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// One field of protoc's text format: a scalar (unescaped) or a nested message.
struct TextNode {
  std::string scalar;
  // names[i] is the field name of children[i] (a vector of pairs would need TextNode complete).
  std::vector<std::string> names;
  std::vector<TextNode> children;

  std::vector<const TextNode*> all(const std::string& name) const {
    std::vector<const TextNode*> out;
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == name) {
        out.push_back(&children[i]);
      }
    }
    return out;
  }
  const TextNode* first(const std::string& name) const {
    auto found = all(name);
    return found.empty() ? nullptr : found.front();
  }
  std::string str(const std::string& name) const {
    const TextNode* node = first(name);
    return node == nullptr ? "" : node->scalar;
  }
};

class TextParser {
 public:
  explicit TextParser(std::string text) : text_(std::move(text)) {}

  bool parse(TextNode& root) { return message(root) && at_ == text_.size(); }

 private:
  void skipSpace() {
    while (at_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[at_])) != 0) {
      ++at_;
    }
  }
  std::string word() {
    size_t start = at_;
    while (at_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[at_])) != 0 ||
                                  text_[at_] == '_' || text_[at_] == '-' || text_[at_] == '.')) {
      ++at_;
    }
    return text_.substr(start, at_ - start);
  }
  bool quoted(std::string& out) {
    ++at_;  // opening quote
    while (at_ < text_.size() && text_[at_] != '"') {
      char c = text_[at_++];
      if (c != '\\') {
        out += c;
        continue;
      }
      char e = text_[at_++];
      if (e >= '0' && e <= '7') {
        int value = e - '0';
        for (int i = 0; i < 2 && text_[at_] >= '0' && text_[at_] <= '7'; ++i) {
          value = value * 8 + (text_[at_++] - '0');
        }
        out += static_cast<char>(value);
      } else {
        out += e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
      }
    }
    return at_++ < text_.size();
  }
  bool message(TextNode& node) {
    while (true) {
      skipSpace();
      if (at_ >= text_.size() || text_[at_] == '}') {
        return true;
      }
      std::string name = word();
      if (name.empty()) {
        return false;
      }
      skipSpace();
      TextNode child;
      if (text_[at_] == '{') {
        ++at_;
        if (!message(child) || at_ >= text_.size() || text_[at_] != '}') {
          return false;
        }
        ++at_;
      } else if (text_[at_] == ':') {
        ++at_;
        skipSpace();
        if (text_[at_] == '"') {
          if (!quoted(child.scalar)) {
            return false;
          }
        } else {
          child.scalar = word();
        }
      } else {
        return false;
      }
      node.names.push_back(std::move(name));
      node.children.push_back(std::move(child));
    }
  }

  std::string text_;
  size_t at_ = 0;
};

struct Decoded {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// protoc reads the message from stdin: run it with stdin and stdout redirected to files.
Decoded runProtoc(const std::vector<std::string>& args, const std::string& input) {
  fs::path dir = fs::temp_directory_path() / ("openapi_v2_protoc_" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::string in = (dir / "in.pb").string();
  std::string out = (dir / "out.txt").string();
  std::string err = (dir / "err.txt").string();
  std::ofstream(in, std::ios::binary) << input;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, in.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<std::string> argv = {"protoc"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargv;
  for (auto& arg : argv) {
    cargv.push_back(arg.data());
  }
  cargv.push_back(nullptr);
  pid_t pid = 0;
  Decoded result;
  if (posix_spawnp(&pid, "protoc", &actions, nullptr, cargv.data(), environ) == 0) {
    int status = 0;
    waitpid(pid, &status, 0);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  posix_spawn_file_actions_destroy(&actions);
  std::stringstream out_text;
  out_text << std::ifstream(out).rdbuf();
  result.out = out_text.str();
  std::stringstream err_text;
  err_text << std::ifstream(err).rdbuf();
  result.err = err_text.str();
  fs::remove_all(dir);
  return result;
}

std::string testdataDir() {
  return std::string(UNIVIRT_SOURCE_DIR) + "/tests/unit/kube-lite/testdata";
}

// Field names protoc could not map to the schema are printed as numbers.
void expectNoUnknownFields(const TextNode& node, const std::string& where) {
  for (size_t i = 0; i < node.names.size(); ++i) {
    const std::string& name = node.names[i];
    EXPECT_FALSE(std::isdigit(static_cast<unsigned char>(name[0])) != 0)
        << "unknown field " << name << " under " << where;
    std::string path = where;
    path += "/";
    path += name;
    expectNoUnknownFields(node.children[i], path);
  }
}

const TextNode* namedValue(const TextNode* parent, const std::string& field,
                           const std::string& name) {
  for (const TextNode* entry : parent->all(field)) {
    if (entry->str("name") == name) {
      return entry->first("value");
    }
  }
  return nullptr;
}

json extension(const TextNode* owner, const std::string& name) {
  const TextNode* value = namedValue(owner, "vendor_extension", name);
  return value == nullptr ? json() : json::parse(value->str("yaml"));
}

class OpenApiV2Protobuf : public ::testing::Test {
 protected:
  void SetUp() override {
    ResourceRegistry registry;
    registry.setCustomResourceDefinitions({testing::widgetCrd(), testing::gadgetCrd()});
    document_ = openApiV2Document(registry.snapshot(), "27");
    auto encoded = encodeOpenApiV2Protobuf(document_);
    ASSERT_TRUE(encoded.has_value()) << encoded.error().message;
    Decoded decoded =
        runProtoc({"--decode=openapi.v2.Document", "-I" + testdataDir(), "openapi_v2_subset.proto"},
                  *encoded);
    ASSERT_EQ(decoded.exit_code, 0) << "protoc failed (install Debian's protobuf-compiler, see "
                                       "installer/deps/debian-build.txt): "
                                    << decoded.err;
    ASSERT_TRUE(TextParser(decoded.out).parse(root_)) << decoded.out.substr(0, 2000);
  }

  json document_;
  TextNode root_;
};

TEST_F(OpenApiV2Protobuf, DecodesWithGnosticFieldNumbersAndNothingUnknown) {
  expectNoUnknownFields(root_, "");
  EXPECT_EQ(root_.str("swagger"), "2.0");
  EXPECT_EQ(root_.first("info")->str("title"), "Kubernetes");
  EXPECT_EQ(root_.first("info")->str("version"), "v1.27.0-kubelite");
  EXPECT_EQ(root_.first("paths")->all("path").size(), document_["paths"].size());
  EXPECT_EQ(root_.first("definitions")->all("additional_properties").size(),
            document_["definitions"].size());
  const TextNode* bearer =
      namedValue(root_.first("security_definitions"), "additional_properties", "BearerToken");
  ASSERT_NE(bearer, nullptr);
  EXPECT_EQ(bearer->first("api_key_security")->str("in"), "header");
}

TEST_F(OpenApiV2Protobuf, PatchOperationsCarryGvkAndFieldValidationAsKubectlReadsThem) {
  // What cli-runtime's supportsQueryParam walks: paths.path[].value.patch.vendor_extension and
  // parameters[].parameter.non_body_parameter.query_parameter_sub_schema.name.
  for (const char* path :
       {"/apis/example.com/v1/namespaces/{namespace}/widgets/{name}",
        "/apis/gadgets.example.org/v2/gadgets/{name}", "/api/v1/namespaces/{name}",
        "/api/v1/namespaces/{namespace}/pods/{name}"}) {
    SCOPED_TRACE(path);
    const TextNode* item = namedValue(root_.first("paths"), "path", path);
    ASSERT_NE(item, nullptr);
    const TextNode* patch = item->first("patch");
    ASSERT_NE(patch, nullptr);
    json gvk = extension(patch, "x-kubernetes-group-version-kind");
    EXPECT_EQ(gvk, document_["paths"][path]["patch"]["x-kubernetes-group-version-kind"]);
    EXPECT_TRUE(gvk.is_object() && gvk["group"].is_string());
    EXPECT_EQ(extension(patch, "x-kubernetes-action"), "patch");
    std::vector<std::string> query;
    bool body = false;
    for (const TextNode* param : patch->all("parameters")) {
      const TextNode* p = param->first("parameter");
      ASSERT_NE(p, nullptr);
      if (const TextNode* b = p->first("body_parameter")) {
        body = b->str("in") == "body" && b->str("required") == "true";
        continue;
      }
      const TextNode* q = p->first("non_body_parameter")->first("query_parameter_sub_schema");
      ASSERT_NE(q, nullptr);
      EXPECT_EQ(q->str("in"), "query");
      query.push_back(q->str("name"));
    }
    EXPECT_TRUE(body);
    EXPECT_NE(std::find(query.begin(), query.end(), "fieldValidation"), query.end());
    EXPECT_NE(std::find(query.begin(), query.end(), "force"), query.end());
    const TextNode* path_param = item->first("parameters")
                                     ->first("parameter")
                                     ->first("non_body_parameter")
                                     ->first("path_parameter_sub_schema");
    ASSERT_NE(path_param, nullptr);
    EXPECT_EQ(path_param->str("name"), "name");
    EXPECT_EQ(path_param->str("required"), "true");
    const TextNode* ok = namedValue(patch->first("responses"), "response_code", "200");
    ASSERT_NE(ok, nullptr);
    EXPECT_EQ(ok->first("response")->str("description"), "OK");
  }
}

TEST_F(OpenApiV2Protobuf, CrdDefinitionsKeepTheirSchemaInGnosticForm) {
  const TextNode* widget =
      namedValue(root_.first("definitions"), "additional_properties", "com.example.v1.Widget");
  ASSERT_NE(widget, nullptr);
  EXPECT_EQ(extension(widget, "x-kubernetes-group-version-kind"),
            json::array({{{"group", "example.com"}, {"kind", "Widget"}, {"version", "v1"}}}));
  EXPECT_EQ(widget->first("type")->str("value"), "object");
  const TextNode* properties = widget->first("properties");
  const TextNode* metadata = namedValue(properties, "additional_properties", "metadata");
  EXPECT_EQ(metadata->str("_ref"), kObjectMetaRef);
  const TextNode* spec = namedValue(properties, "additional_properties", "spec");
  ASSERT_NE(spec, nullptr);
  EXPECT_EQ(spec->str("required"), "cpu");
  const TextNode* spec_props = spec->first("properties");
  const TextNode* cpu = namedValue(spec_props, "additional_properties", "cpu");
  EXPECT_EQ(cpu->first("type")->str("value"), "integer");
  EXPECT_EQ(cpu->str("minimum"), "1");
  const TextNode* color = namedValue(spec_props, "additional_properties", "color");
  std::vector<json> colors;
  for (const TextNode* value : color->all("enum")) {
    colors.push_back(json::parse(value->str("yaml")));
  }
  EXPECT_EQ(colors, (std::vector<json>{"red", "green", "blue"}));
  const TextNode* size = namedValue(spec_props, "additional_properties", "size");
  EXPECT_EQ(json::parse(size->first("default")->str("yaml")), "small");

  const TextNode* gadget = namedValue(root_.first("definitions"), "additional_properties",
                                      "org.example.gadgets.v2.Gadget");
  ASSERT_NE(gadget, nullptr);
  const TextNode* gadget_spec =
      namedValue(gadget->first("properties"), "additional_properties", "spec");
  const TextNode* name =
      namedValue(gadget_spec->first("properties"), "additional_properties", "name");
  EXPECT_EQ(name->str("max_length"), "63");
  EXPECT_EQ(name->str("pattern"), "^[a-z]+$");
  const TextNode* tags =
      namedValue(gadget_spec->first("properties"), "additional_properties", "tags");
  EXPECT_EQ(tags->first("items")->first("schema")->first("type")->str("value"), "string");
  EXPECT_EQ(extension(tags, "x-kubernetes-list-type"), "set");
  const TextNode* labels =
      namedValue(namedValue(root_.first("definitions"), "additional_properties",
                            "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")
                     ->first("properties"),
                 "additional_properties", "labels");
  EXPECT_EQ(labels->first("additional_properties")->first("schema")->first("type")->str("value"),
            "string");
}

TEST(ProtobufWriter, EncodesTheWireFormatTheWayProtocDecodesIt) {
  ProtobufWriter inner;
  inner.bytesField(1, "name");
  ProtobufWriter writer;
  writer.varintField(1, 150);
  writer.int64Field(2, -1);
  writer.doubleField(3, 1.5);
  writer.boolField(4, true);
  writer.messageField(5, inner);
  writer.varintField(300, 1);
  EXPECT_EQ(writer.bytes().substr(0, 3), std::string("\x08\x96\x01", 3));
  Decoded raw = runProtoc({"--decode_raw"}, writer.bytes());
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  // decode_raw shows fixed64 as hex and varints as unsigned.
  EXPECT_EQ(raw.out,
            "1: 150\n2: 18446744073709551615\n3: 0x3ff8000000000000\n4: 1\n5 {\n  1: \"name\"\n}\n"
            "300: 1\n");
}

}  // namespace
}  // namespace univirt::kubelite
