// univirt-sdsctl: the operator CLI of the storage operations (see cli.h, docs/sdsctl.md).

#include <iostream>

#include "sdsctl/cli.h"

int main(int argc, char** argv) {
  return univirt::sdsctl::runCli(argc, argv, std::cout, std::cerr);
}
