// plan.h: memory planning of a module's runs on the CPU (internal to the
// library; see plan.cpp).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace ds {

struct Plan;

// install_plan_allocator makes the library's allocator libtorch's CPU
// allocator, once per process. Outside a planned run it hands every request
// to libtorch's own allocation functions (c10::alloc_cpu, c10::free_cpu).
void install_plan_allocator();

// set_planning turns planning on or off for runs that begin afterwards
// (process-wide; on by default).
void set_planning(bool on);
bool planning();

// PlanStats describes a module's current plan.
struct PlanStats {
  int64_t block_bytes = 0;  // the block later runs are served from
  int64_t planned = 0;      // allocations served from it, all runs
  int64_t fallback = 0;     // planned-for allocations served elsewhere
  int64_t recorded = 0;     // runs recorded for the current key
};

// Planner plans the CPU runs of one module. Runs must not overlap (the
// module's contract); begin and end are called on the thread that runs.
class Planner {
 public:
  Planner() = default;
  Planner(const Planner &) = delete;
  Planner &operator=(const Planner &) = delete;
  ~Planner();

  // begin starts a run whose allocations depend on key (method and input
  // shapes): on the calling thread, until end, the allocator records the
  // run's allocations or serves them from the plan learnt for key.
  void begin(const std::string &key);
  // end finishes the run; ok is false when it failed.
  void end(bool ok);
  // reset forgets the plan (the module's weights changed).
  void reset();
  PlanStats stats() const;

 private:
  std::shared_ptr<Plan> cur_;
  std::string key_;
  int64_t recorded_ = 0;  // recordings of key_
  int64_t planned_ = 0, fallback_ = 0;  // of retired plans of key_
};

// RunGuard brackets one run: begin in the constructor, end(false) in the
// destructor unless done() said the run succeeded.
class RunGuard {
 public:
  RunGuard(Planner *p, const std::string &key) : p_(p) {
    if (p_) p_->begin(key);
  }
  RunGuard(const RunGuard &) = delete;
  RunGuard &operator=(const RunGuard &) = delete;
  ~RunGuard() {
    if (p_) p_->end(ok_);
  }
  void done() { ok_ = true; }

 private:
  Planner *p_;
  bool ok_ = false;
};

}  // namespace ds
