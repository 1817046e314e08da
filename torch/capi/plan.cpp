// plan.cpp: memory planning of a module's runs on the CPU.
//
// Why: libtorch's CPU tensors come from malloc. Over one forward pass of an
// MDX23C network glibc's arena ends up 2.4 times as large as what is ever
// live in it at once (DrumSep-6 at width 64: 465 MiB of arena for at most
// 193 MiB in use), and malloc keeps it resident; tensors of 32 MiB and more
// are mapped and unmapped every time instead, their pages faulted in anew
// on every forward (a fifth of the process's CPU time went to the kernel).
// Python's MSST pays the same, drumsplit's Go heap comes on top of it.
//
// What: the same method on inputs of the same shapes allocates the same
// sizes in the same order, run after run. The first run of a key (method and
// input shapes) is recorded: each allocation of kMinPlanned bytes or more
// made on the running thread gets pages of its own (mmap; returned when
// freed, so the recording run's resident memory is what it holds live), and
// its size and lifetime are noted. From them a plan places every allocation
// freed within the run at an offset of one block, those whose lifetimes
// overlap apart (greedy by size, as TFLite's arena planner), and later runs
// of the key take their allocations from the block at those offsets. The
// block stays resident: no page faults, and resident memory is the block,
// close to the largest total ever live at once.
//
// Safety does not rest on the plan being right. An allocation is served
// from the block only if its sequence number and size match the plan and no
// live allocation from the block overlaps its range; anything else goes to
// c10::alloc_cpu. A run that did not follow its plan makes the next run of
// the key record again (up to kMaxRecords times, then the key runs
// unplanned). Allocations outside a run, on other threads (libtorch's
// workers), and smaller than kMinPlanned never come near a plan.
#include "plan.h"

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <c10/core/impl/alloc_cpu.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#define DS_PLAN 1
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace ds {

#ifdef DS_PLAN

namespace {

// kMinPlanned: smaller allocations are left to malloc, whose arena holds
// them well; planning them would only lengthen the plan.
constexpr size_t kMinPlanned = 64 << 10;
// kMaxRecords: recordings of one key before it runs unplanned.
constexpr int64_t kMaxRecords = 3;
constexpr size_t kNone = SIZE_MAX;

size_t round_up(size_t n, size_t m) { return (n + m - 1) / m * m; }

size_t page_size() {
  static const size_t p = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return p;
}

// map_pages maps len bytes of fresh pages. Mappings of 2 MiB and more ask
// for transparent huge pages where the kernel gives them on request
// (transparent_hugepage=madvise, Debian's default): a recorded run faults
// its tensors in 2 MiB at a time instead of 4 KiB (bundled model, batch of
// four: 21,000 page faults and 1.7 CPU-s instead of 340,000 and 2.7 CPU-s,
// less than the 1.9 CPU-s of an unplanned first batch), and so does a
// block's first run. Resident memory does not change: the tensors are
// written whole.
void *map_pages(size_t len) {
  void *p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    C10_THROW_ERROR(OutOfMemoryError, "out of memory: cannot map " + std::to_string(len) + " bytes");
  }
#ifdef MADV_HUGEPAGE
  if (len >= (2 << 20)) madvise(p, len, MADV_HUGEPAGE);
#endif
  return p;
}

std::atomic<bool> g_on{true};

}  // namespace

struct Plan : std::enable_shared_from_this<Plan> {
  enum Phase { kRecording, kPlanned, kOff } phase = kRecording;
  bool running = false;  // between begin and end

  // Per allocation of a run, by sequence number: size; while recording,
  // allocation and free times (-1: not freed within the run); once
  // planned, the offset in the block (kNone: not from the block).
  std::vector<size_t> size;
  std::vector<int64_t> t_alloc, t_free;
  std::vector<size_t> off;
  int64_t clock = 0;

  char *block = nullptr;
  size_t block_size = 0;
  std::map<size_t, size_t> live;  // offset -> end of block allocations in use
  size_t outstanding = 0;
  // idle: not the plan of the running key; its block is unmapped once no
  // allocation uses it (and mapped again when the key runs again).
  bool idle = false;

  size_t seq = 0;       // next sequence number of the run
  bool missed = false;  // the run strayed from the plan
  int64_t planned = 0, fallback = 0;

  void formulate();
};

namespace {

// Rec is a recorded allocation with pages of its own.
struct Rec {
  std::shared_ptr<Plan> plan;
  size_t id;
  size_t len;
};

// The allocator's state is never destroyed: libtorch frees tensors from its
// own static destructors at exit, after this library's would have run.
std::mutex &g_mu = *new std::mutex;  // guards every Plan and the two tables below
std::unordered_map<void *, Rec> &g_recs = *new std::unordered_map<void *, Rec>;
std::vector<std::shared_ptr<Plan>> &g_blocks = *new std::vector<std::shared_ptr<Plan>>;  // plans whose block is mapped
// The running thread's plan; it may outlive the run (end on another
// thread), so allocations also check Plan::running.
thread_local std::shared_ptr<Plan> t_plan;

// release_block unmaps p's block once p is idle and nothing uses the block
// any more; it returns the range to unmap outside the lock.
std::pair<char *, size_t> release_block(Plan *p) {
  if (!p->idle || p->outstanding > 0 || p->block == nullptr) return {nullptr, 0};
  std::pair<char *, size_t> r{p->block, p->block_size};
  p->block = nullptr;
  g_blocks.erase(std::remove_if(g_blocks.begin(), g_blocks.end(),
                                [p](const std::shared_ptr<Plan> &q) { return q.get() == p; }),
                 g_blocks.end());
  return r;
}

void unmap(std::pair<char *, size_t> r) {
  if (r.first) munmap(r.first, r.second);
}

void *plan_alloc(size_t n) {
  Plan *p = t_plan.get();
  if (p == nullptr || n < kMinPlanned) return c10::alloc_cpu(n);
  std::unique_lock<std::mutex> lk(g_mu);
  if (!p->running) {
    lk.unlock();
    return c10::alloc_cpu(n);
  }
  if (p->phase == Plan::kRecording) {
    size_t len = round_up(n, page_size());
    lk.unlock();
    void *m = map_pages(len);
    lk.lock();
    size_t id = p->size.size();
    p->size.push_back(n);
    p->t_alloc.push_back(p->clock++);
    p->t_free.push_back(-1);
    g_recs.emplace(m, Rec{p->shared_from_this(), id, len});
    return m;
  }
  if (p->phase == Plan::kPlanned) {
    size_t k = p->seq;
    // Allocations of the recorded run that outlived it and do not recur
    // (a cache filled once) are skipped over.
    while (k < p->size.size() && p->off[k] == kNone && p->size[k] != n) k++;
    if (k < p->size.size() && p->size[k] == n) {
      p->seq = k + 1;
      size_t o = p->off[k];
      if (o == kNone) return lk.unlock(), c10::alloc_cpu(n);  // outlives the run: not from the block
      if (p->block == nullptr) {
        lk.unlock();
        char *b = static_cast<char *>(map_pages(p->block_size));
        lk.lock();
        if (p->block == nullptr) {
          p->block = b;
          g_blocks.push_back(p->shared_from_this());
        } else {
          munmap(b, p->block_size);
        }
      }
      // Live block allocations are disjoint: only the last one starting
      // before the end of [o, o+n) can overlap it.
      auto it = p->live.lower_bound(o + n);
      bool free = it == p->live.begin() || std::prev(it)->second <= o;
      if (free) {
        p->live.emplace(o, o + n);
        p->outstanding++;
        p->planned++;
        return p->block + o;
      }
    } else {
      p->missed = true;
      p->seq = p->size.size();  // out of step: the rest is unplanned
    }
    p->fallback++;
  }
  lk.unlock();
  return c10::alloc_cpu(n);
}

void plan_free(void *m) {
  if (m == nullptr) return;
  std::unique_lock<std::mutex> lk(g_mu);
  char *c = static_cast<char *>(m);
  for (const auto &p : g_blocks) {
    if (c >= p->block && c < p->block + p->block_size) {
      p->live.erase(static_cast<size_t>(c - p->block));
      p->outstanding--;
      auto r = release_block(p.get());
      lk.unlock();
      unmap(r);
      return;
    }
  }
  auto it = g_recs.find(m);
  if (it != g_recs.end()) {
    Plan *p = it->second.plan.get();
    if (p->phase == Plan::kRecording && p->running) p->t_free[it->second.id] = p->clock++;
    size_t len = it->second.len;
    g_recs.erase(it);
    lk.unlock();
    munmap(m, len);
    return;
  }
  lk.unlock();
  c10::free_cpu(m);
}

struct PlanAllocator final : c10::Allocator {
  c10::DataPtr allocate(size_t n) const override {
    void *p = plan_alloc(n);
    // Context and data are the same pointer: raw_allocate (oneDNN's
    // buffers come through it) needs that.
    return {p, p, &plan_free, c10::Device(c10::DeviceType::CPU)};
  }
  c10::DeleterFnPtr raw_deleter() const override { return &plan_free; }
};

PlanAllocator &g_allocator = *new PlanAllocator;

}  // namespace

// formulate turns the recorded run into offsets in one block: allocations
// by decreasing size, each at the lowest offset (64-byte aligned, as c10
// aligns) clear of every placed allocation whose lifetime overlaps its own.
void Plan::formulate() {
  size_t n = size.size();
  off.assign(n, kNone);
  std::vector<size_t> order;
  for (size_t i = 0; i < n; i++) {
    if (t_free[i] >= 0) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return size[a] > size[b]; });
  std::vector<size_t> placed;
  std::vector<std::pair<size_t, size_t>> busy;
  block_size = 0;
  for (size_t i : order) {
    busy.clear();
    for (size_t j : placed) {
      if (t_alloc[i] < t_free[j] && t_alloc[j] < t_free[i]) busy.emplace_back(off[j], off[j] + size[j]);
    }
    std::sort(busy.begin(), busy.end());
    size_t need = round_up(size[i], c10::gAlignment), at = 0;
    for (const auto &b : busy) {
      if (at + need <= b.first) break;
      at = std::max(at, round_up(b.second, c10::gAlignment));
    }
    off[i] = at;
    block_size = std::max(block_size, at + need);
    placed.push_back(i);
  }
  block_size = round_up(block_size, page_size());
  t_alloc.clear();
  t_free.clear();
  t_alloc.shrink_to_fit();
  t_free.shrink_to_fit();
  phase = block_size > 0 ? kPlanned : kOff;
}

void install_plan_allocator() {
  static std::once_flag once;
  std::call_once(once, [] { c10::SetCPUAllocator(&g_allocator, /*priority=*/UINT8_MAX); });
}

void leave_run() { t_plan.reset(); }

void set_planning(bool on) { g_on.store(on, std::memory_order_relaxed); }
bool planning() { return g_on.load(std::memory_order_relaxed); }

namespace {

// set_idle marks p idle (or not); an idle plan's block is unmapped once no
// allocation uses it.
void set_idle(const std::shared_ptr<Plan> &p, bool idle) {
  if (!p) return;
  std::unique_lock<std::mutex> lk(g_mu);
  p->idle = idle;
  auto r = release_block(p.get());
  lk.unlock();
  unmap(r);
}

}  // namespace

Planner::~Planner() { reset(); }

void Planner::reset() {
  std::lock_guard<std::mutex> lk(mu_);
  end_locked(true);
  for (auto &e : plans_) set_idle(e.plan, true);
  plans_.clear();
}

Planner::Entry *Planner::entry(const std::string &key) {
  auto it = std::find_if(plans_.begin(), plans_.end(), [&](const Entry &e) { return e.key == key; });
  if (it == plans_.begin() && it != plans_.end()) return &plans_.front();
  // Another key ran last: its block goes (the plan stays, for its next run).
  if (!plans_.empty()) set_idle(plans_.front().plan, true);
  Entry e;
  if (it != plans_.end()) {
    e = std::move(*it);
    plans_.erase(it);
  } else {
    e.key = key;
  }
  plans_.insert(plans_.begin(), std::move(e));
  if (plans_.size() > kPlans) {
    set_idle(plans_.back().plan, true);
    plans_.pop_back();
  }
  set_idle(plans_.front().plan, false);
  return &plans_.front();
}

void Planner::begin(const std::string &key) {
  std::lock_guard<std::mutex> plk(mu_);
  end_locked(true);  // a run whose outputs are still held: they outlive it
  t_plan.reset();
  if (!planning()) return;
  install_plan_allocator();
  Entry *e = entry(key);
  bool record = !e->plan;
  if (e->plan) {
    std::lock_guard<std::mutex> lk(g_mu);
    if (e->plan->phase == Plan::kPlanned && e->plan->missed) {
      record = e->recorded < kMaxRecords;
      if (!record) e->plan->phase = Plan::kOff;
    }
  }
  if (record) {
    if (e->plan) {
      std::lock_guard<std::mutex> lk(g_mu);
      e->planned += e->plan->planned;
      e->fallback += e->plan->fallback;
    }
    set_idle(e->plan, true);
    e->plan = std::make_shared<Plan>();
    e->recorded++;
  }
  std::lock_guard<std::mutex> lk(g_mu);
  Plan *p = e->plan.get();
  if (p->phase == Plan::kOff) return;
  p->seq = 0;
  p->missed = false;
  p->running = true;
  t_plan = e->plan;
  open_ = e->plan;
}

void Planner::end(bool ok) {
  std::lock_guard<std::mutex> lk(mu_);
  end_locked(ok);
}

void Planner::end_locked(bool ok) {
  std::shared_ptr<Plan> p = std::move(open_);
  open_.reset();
  if (t_plan == p) t_plan.reset();
  if (!p) return;
  std::lock_guard<std::mutex> lk(g_mu);
  p->running = false;
  if (p->phase != Plan::kRecording) return;
  if (ok) {
    p->formulate();
  } else {
    // A failed run recorded only part of the sequence: nothing comes from
    // the block, and the next run records anew.
    p->off.assign(p->size.size(), kNone);
    p->phase = Plan::kPlanned;
    p->missed = true;
  }
}

PlanStats Planner::stats() const {
  std::lock_guard<std::mutex> plk(mu_);
  PlanStats s;
  if (plans_.empty()) return s;
  const Entry &e = plans_.front();
  s.recorded = e.recorded;
  s.planned = e.planned;
  s.fallback = e.fallback;
  if (e.plan) {
    std::lock_guard<std::mutex> lk(g_mu);
    s.block_bytes = e.plan->phase == Plan::kPlanned ? static_cast<int64_t>(e.plan->block_size) : 0;
    s.planned += e.plan->planned;
    s.fallback += e.plan->fallback;
  }
  return s;
}

#else  // no mmap: nothing is planned

struct Plan {};
void install_plan_allocator() {}
void leave_run() {}
void set_planning(bool) {}
bool planning() { return false; }
Planner::~Planner() {}
void Planner::begin(const std::string &) {}
void Planner::end(bool) {}
void Planner::end_locked(bool) {}
void Planner::reset() {}
PlanStats Planner::stats() const { return PlanStats{}; }

#endif

}  // namespace ds
