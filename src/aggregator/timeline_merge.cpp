#include "aggregator/timeline_merge.h"

#include <queue>

namespace courier::aggregator {

MergedPage merge_newest_first(const std::vector<std::vector<PostKey>>& timelines, size_t limit) {
  struct Head {
    PostKey key;
    size_t timeline;
    size_t position;
  };
  // The newest head on top of the heap.
  auto older = [](const Head& a, const Head& b) { return comes_before(b.key, a.key); };
  std::priority_queue<Head, std::vector<Head>, decltype(older)> heads(older);
  for (size_t t = 0; t < timelines.size(); ++t)
    if (!timelines[t].empty()) heads.push(Head{timelines[t][0], t, 0});

  MergedPage page;
  while (!heads.empty()) {
    Head head = heads.top();
    heads.pop();
    if (page.posts.empty() || page.posts.back() != head.key) {
      if (page.posts.size() == limit) {
        page.has_more = true;
        break;
      }
      page.posts.push_back(head.key);
    }
    const std::vector<PostKey>& timeline = timelines[head.timeline];
    if (head.position + 1 < timeline.size())
      heads.push(Head{timeline[head.position + 1], head.timeline, head.position + 1});
  }
  return page;
}

}  // namespace courier::aggregator
