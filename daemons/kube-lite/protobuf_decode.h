#pragma once

// Decodes the Kubernetes protobuf envelope ("k8s\0" + runtime.Unknown) that kubectl's typed
// clients send for built-in kinds (`kubectl create namespace|configmap|secret`), for the few
// core/v1 kinds those commands create: Namespace, ConfigMap, Secret. Other kinds and any
// malformed input are an InvalidArgument error (answered 415 by the API layer).

#include <string_view>

#include <nlohmann/json.hpp>

#include "core/util/result.h"

namespace univirt::kubelite {

util::Result<nlohmann::json> decodeProtobufObject(std::string_view body);

}  // namespace univirt::kubelite
