#include "kube-lite/selectors.h"

#include <gtest/gtest.h>

namespace univirt::kubelite {
namespace {

using nlohmann::json;

bool matches(const std::string& selector, const json& labels) {
  auto parsed = LabelSelector::parse(selector);
  EXPECT_TRUE(parsed.has_value()) << selector;
  return parsed && parsed->matches(labels);
}

TEST(LabelSelector, ParsesEveryOperator) {
  json labels = {{"env", "dev"}, {"tier", "web"}, {"n", "4"}, {"example.com/x", ""}};
  EXPECT_TRUE(matches("env=dev", labels));
  EXPECT_TRUE(matches("env==dev", labels));
  EXPECT_FALSE(matches("env!=dev", labels));
  EXPECT_TRUE(matches("missing!=dev", labels));  // != matches objects without the key
  EXPECT_TRUE(matches("env in (dev, prod)", labels));
  EXPECT_FALSE(matches("env notin (dev)", labels));
  EXPECT_TRUE(matches("missing notin (dev)", labels));
  EXPECT_TRUE(matches("tier", labels));
  EXPECT_TRUE(matches("!missing", labels));
  EXPECT_FALSE(matches("!tier", labels));
  EXPECT_TRUE(matches("n>3,n<5", labels));
  EXPECT_FALSE(matches("n>4", labels));
  EXPECT_FALSE(matches("missing>1", labels));
  EXPECT_TRUE(matches(" env = dev , tier ", labels));
  EXPECT_TRUE(matches("example.com/x=", labels));
  EXPECT_TRUE(matches("", labels));
}

TEST(LabelSelector, RejectsBadSyntax) {
  for (const char* bad :
       {"env in ()", "env in dev", "=dev", "env=dev,", "env=a b", "n>x", "-bad=1", "env==(x)"}) {
    auto parsed = LabelSelector::parse(bad);
    EXPECT_FALSE(parsed.has_value()) << bad;
    if (!parsed) {
      EXPECT_EQ(parsed.error().code, util::ErrorCode::InvalidArgument);
    }
  }
}

TEST(FieldSelector, MatchesNameNamespaceAndRejectsUnsupported) {
  std::set<std::string> supported = {"metadata.name", "metadata.namespace"};
  json object = {{"metadata", {{"name", "vm1"}, {"namespace", "default"}}}};
  auto eq = FieldSelector::parse("metadata.name=vm1,metadata.namespace==default", supported);
  ASSERT_TRUE(eq.has_value());
  EXPECT_TRUE(eq->matches(object));
  ASSERT_NE(eq->exactName(), nullptr);
  EXPECT_EQ(*eq->exactName(), "vm1");
  auto ne = FieldSelector::parse("metadata.name!=vm1", supported);
  ASSERT_TRUE(ne.has_value());
  EXPECT_FALSE(ne->matches(object));
  auto bad = FieldSelector::parse("spec.x=1", supported);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message, "field label not supported: spec.x");
  auto escaped = FieldSelector::parse("metadata.name=a\\,b", supported);
  ASSERT_TRUE(escaped.has_value());
  EXPECT_TRUE(escaped->matches(json{{"metadata", {{"name", "a,b"}}}}));
}

}  // namespace
}  // namespace univirt::kubelite
