// univirt-ovnctl: the operator CLI of the VirtualMachineNetwork operations (see cli.h,
// docs/ovnctl.md).

#include <iostream>

#include "ovnctl/cli.h"

int main(int argc, char** argv) {
  return univirt::ovnctl::runCli(argc, argv, std::cout, std::cerr);
}
