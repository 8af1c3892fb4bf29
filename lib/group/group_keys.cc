// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "group/group_keys.h"

#include "brook/consumer_group.h"

namespace brook {

bool IsShardLeaseKey(absl::string_view lease_key) {
  return !internal::WorkerIdFromKey(lease_key).has_value() &&
         !internal::IsLeaderKey(lease_key);
}

}  // namespace brook
