// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The consumer-group commands (issue 11): describe-consumer-group,
// list-consumer-groups and reset-consumer-group. They read and change a
// group's leases through the `LeaseStore` API only (include/brook/lease.h),
// reached through the backend, and never need a running worker.

#ifndef BROOK_TOOLS_BROOK_GROUP_COMMANDS_H_
#define BROOK_TOOLS_BROOK_GROUP_COMMANDS_H_

#include "tools/brook/command.h"

namespace brook {
namespace cli {

extern const Command kDescribeConsumerGroupCommand;
extern const Command kListConsumerGroupsCommand;
extern const Command kResetConsumerGroupCommand;

}  // namespace cli
}  // namespace brook

#endif  // BROOK_TOOLS_BROOK_GROUP_COMMANDS_H_
