// plan.h: memory planning of a module's runs on the CPU (internal to the
// library; see plan.cpp).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

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

// leave_run ends the calling thread's part in a run: its later allocations
// are no run's, whichever run is open then (the next run of a module may be
// on another thread, while this one loads or runs something else).
void leave_run();

// PlanStats describes a module's current plan.
struct PlanStats {
  int64_t block_bytes = 0;  // the block later runs are served from
  int64_t planned = 0;      // allocations served from it, all runs
  int64_t fallback = 0;     // planned-for allocations served elsewhere
  int64_t recorded = 0;     // runs recorded for the current key
};

// Planner plans the CPU runs of one module. Runs must not overlap (the
// module's contract). A run lasts from begin, on the thread that runs, to
// end: after the method returns, until its outputs are freed (the caller
// copies them out first), so that they are planned too.
class Planner {
 public:
  Planner() = default;
  Planner(const Planner &) = delete;
  Planner &operator=(const Planner &) = delete;
  ~Planner();

  // begin starts a run whose allocations depend on key (method and input
  // shapes): on the calling thread, until end, the allocator records the
  // run's allocations or serves them from the plan learnt for key. A run
  // still open ends first, its outputs outliving it.
  void begin(const std::string &key);
  // end finishes the open run, if any; ok is false when it failed. It may
  // be called on any thread.
  void end(bool ok);
  // reset forgets the plan (the module's weights changed).
  void reset();
  PlanStats stats() const;

 private:
  // Entry is the plan of one key. Only the running key's plan has its block
  // mapped; the others wait for their key to run again, so that inputs
  // alternating between shapes (a track's last, shorter batch) are not
  // recorded anew each time.
  struct Entry {
    std::string key;
    std::shared_ptr<Plan> plan;
    int64_t recorded = 0;                // recordings of key
    int64_t planned = 0, fallback = 0;  // of its earlier plans
  };
  static constexpr size_t kPlans = 4;
  // entry moves key's entry (made if new) to the front of plans_, the
  // running key's place.
  Entry *entry(const std::string &key);
  void end_locked(bool ok);
  // mu_ guards the fields below (a result may be freed, ending its run, on
  // another thread); it is taken before the allocator's lock, never after.
  mutable std::mutex mu_;
  std::vector<Entry> plans_;  // most recently run first
  std::shared_ptr<Plan> open_;  // the run in progress
};

}  // namespace ds
