// L2's queue of words read and not yet sent (sim/overtaking_queues.hpp): the order a scan from
// the front that skips words whose links are full gives, however many words are stuck.

#include "sim/overtaking_queues.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace metronome::sim {
namespace {

struct Word {
  std::vector<std::uint32_t> links;
  int id = 0;
};

// Sends while every link of a word has room left, `room` words per link.
std::vector<int> drain(OvertakingQueues<Word>& q, std::map<std::uint32_t, int> room) {
  std::vector<int> sent;
  q.drain(
      [&](const Word& w) {
        for (const std::uint32_t l : w.links)
          if (room[l] <= 0) return false;
        return true;
      },
      [&](const Word& w) {
        for (const std::uint32_t l : w.links) --room[l];
        sent.push_back(w.id);
      });
  return sent;
}

TEST(OvertakingQueues, WordsGoInTheOrderTheyCameWhenEveryLinkHasRoom) {
  OvertakingQueues<Word> q;
  const std::vector<std::vector<std::uint32_t>> links = {{0}, {1}, {0, 1}, {1}, {0}};
  for (std::size_t i = 0; i < links.size(); ++i)
    q.push(links[i], Word{links[i], static_cast<int>(i)});
  EXPECT_EQ(drain(q, {{0, 10}, {1, 10}}), (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_TRUE(q.empty());
}

TEST(OvertakingQueues, AWordForAFullLinkIsOvertakenByWordsForOthers) {
  // A hundred words for link 0 (room for 2) ahead of a word for link 1: it goes this cycle.
  // (The controller once scanned at most 64 stuck words, so that word waited for link 0.)
  OvertakingQueues<Word> q;
  for (int i = 0; i < 100; ++i) q.push({0}, Word{{0}, i});
  q.push({1}, Word{{1}, 100});
  q.push({0, 1}, Word{{0, 1}, 101});
  EXPECT_EQ(drain(q, {{0, 2}, {1, 5}}), (std::vector<int>{0, 1, 100}));
  EXPECT_EQ(q.size(), 99u);
  // Next cycle: word 2 is the oldest that fits, then 3; 101 needs link 0 too.
  EXPECT_EQ(drain(q, {{0, 2}, {1, 5}}), (std::vector<int>{2, 3}));
}

TEST(OvertakingQueues, WordsTakingTheSameLinksKeepTheirOrder) {
  OvertakingQueues<Word> q;
  q.push({0, 1}, Word{{0, 1}, 0});
  q.push({2}, Word{{2}, 1});
  q.push({0, 1}, Word{{0, 1}, 2});
  q.push({2}, Word{{2}, 3});
  EXPECT_EQ(drain(q, {{0, 0}, {1, 9}, {2, 9}}), (std::vector<int>{1, 3}));
  EXPECT_EQ(drain(q, {{0, 1}, {1, 9}, {2, 9}}), (std::vector<int>{0}));
  EXPECT_EQ(drain(q, {{0, 1}, {1, 9}, {2, 9}}), (std::vector<int>{2}));
  EXPECT_TRUE(q.empty());
}

TEST(OvertakingQueues, AFullQueueIsAskedOnceACycle) {
  // Link 0 is full; ten words for link 1 go one by one. The link-0 queue's head is asked once,
  // not once per word sent (room only shrinks within a cycle).
  OvertakingQueues<Word> q;
  for (int i = 0; i < 5; ++i) q.push({0}, Word{{0}, i});
  for (int i = 5; i < 15; ++i) q.push({1}, Word{{1}, i});
  int asked_for_link0 = 0;
  std::vector<int> sent;
  q.drain(
      [&](const Word& w) {
        if (w.links.front() == 0) ++asked_for_link0;
        return w.links.front() == 1;
      },
      [&](const Word& w) { sent.push_back(w.id); });
  EXPECT_EQ(sent, (std::vector<int>{5, 6, 7, 8, 9, 10, 11, 12, 13, 14}));
  EXPECT_EQ(asked_for_link0, 1);
  EXPECT_EQ(q.size(), 5u);
}

}  // namespace
}  // namespace metronome::sim
