// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Umbrella header: the whole public API of brook.

#ifndef BROOK_BROOK_H_
#define BROOK_BROOK_H_

#include "brook/aggregation.h"
#include "brook/async_producer.h"
#include "brook/auto_split.h"
#include "brook/codec.h"
#include "brook/compression.h"
#include "brook/consumer.h"
#include "brook/consumer_group.h"
#include "brook/env.h"
#include "brook/lease.h"
#include "brook/options.h"
#include "brook/partitioner.h"
#include "brook/pipeline.h"
#include "brook/producer.h"
#include "brook/record.h"
#include "brook/shard.h"
#include "brook/stream.h"
#include "brook/subscription.h"
#include "brook/watermark.h"
#include "brook/window.h"

#endif  // BROOK_BROOK_H_
