// The k-way merge of a feed: several timelines, each newest first, into one page newest
// first by (created_at, id), stopping at `limit`.
//
//   std::vector<std::vector<PostKey>> timelines = {{{30, 3}, {10, 1}}, {{20, 2}}};
//   MergedPage page = merge_newest_first(timelines, 2);
//   // page.posts == {{30, 3}, {20, 2}}, page.has_more == true
//
// Each input holds at most the first limit + 1 posts of its timeline after the cursor, so
// has_more is exact: it is true when a post beyond the page exists in any input.
// Thread-safety: pure function.
#pragma once

#include <cstddef>
#include <vector>

#include "aggregator/post_order.h"

namespace courier::aggregator {

struct MergedPage {
  std::vector<PostKey> posts;  // at most `limit`, newest first
  bool has_more = false;       // more posts follow the page
};

// Inputs must each be sorted newest first (comes_before); equal keys are kept once.
MergedPage merge_newest_first(const std::vector<std::vector<PostKey>>& timelines, size_t limit);

}  // namespace courier::aggregator
