// drumsplit_torch.cpp implements the C ABI of drumsplit_torch.h over libtorch.
//
// One translation unit on purpose: every libtorch header costs tens of
// seconds to compile, so the whole library is compiled once.
//
// Portability: this file compiles against the CPU-only libtorch 1.13 of
// Debian 12 as well as torch 2.x with CUDA or MPS. Anything newer than 1.13
// is guarded by TORCH_VERSION_MAJOR; anything CUDA-specific by
// DRUMSPLIT_WITH_CUDA, which CMakeLists.txt defines when libtorch has CUDA.

#include "drumsplit_torch.h"
#include "plan.h"

#include <ATen/Context.h>
#include <atomic>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <c10/util/Exception.h>
#include <torch/cuda.h>
#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/script.h>
#include <torch/version.h>

// MPS calls beyond at::hasMPS() need torch 2.1 or newer, and only exist
// where MPS can: macOS.
#if defined(__APPLE__) && (TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 1))
#define DS_MPS_API 1
#include <torch/mps.h>
#endif

#ifdef DRUMSPLIT_WITH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAGuard.h>
#include <cuda_runtime_api.h>
#endif

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <new>
#include <string>
#include <vector>

#ifndef DRUMSPLIT_TORCH_VERSION
#define DRUMSPLIT_TORCH_VERSION "0.0.0"
#endif

struct ds_module {
  torch::jit::Module mod;
  at::Device device{at::kCPU};
  // The parameters and buffers as loaded, in the order of
  // mod.parameters() then mod.buffers(), on the host. Kept from the first
  // ds_module_to_dtype on, so that every conversion starts from the file's
  // own values: converting to fp16 and back to fp32 gives back the fp32
  // weights bit for bit, without reading the file again.
  std::vector<at::Tensor> loaded;
  // The ds_graph_opt applied; a frozen module has no parameters left to
  // convert.
  int opt = DS_OPT_NONE;
  // Memory planning of its runs on the CPU (plan.cpp). Shared with the
  // results of a planned run, which end the run when freed.
  std::shared_ptr<ds::Planner> planner = std::make_shared<ds::Planner>();
};

struct ds_result {
  std::vector<at::Tensor> outputs;  // still on the module's device
  std::shared_ptr<ds::Planner> planner;  // the planned run these outputs end
};

namespace {

// An error raised inside this file with a status of its own.
struct ds_error : std::runtime_error {
  ds_status status;
  ds_error(ds_status s, const std::string &msg) : std::runtime_error(msg), status(s) {}
};

void set_err(char *err, size_t errlen, const std::string &msg) {
  if (err == nullptr || errlen == 0) return;
  size_t n = std::min(msg.size(), errlen - 1);
  std::memcpy(err, msg.data(), n);
  err[n] = '\0';
}

bool looks_oom(const std::string &msg) {
  return msg.find("out of memory") != std::string::npos || msg.find("Out of memory") != std::string::npos ||
         msg.find("OutOfMemory") != std::string::npos;
}

// guard runs fn, turning every exception into a status and a message. It
// is the only place exceptions are caught. Messages are libtorch's own,
// possibly several lines long (TorchScript tracebacks): the caller picks
// the line that matters.
template <typename F>
ds_status guard(char *err, size_t errlen, F &&fn) {
  set_err(err, errlen, "");
  try {
    fn();
    return DS_OK;
  } catch (const ds_error &e) {
    set_err(err, errlen, e.what());
    return e.status;
  } catch (const c10::OutOfMemoryError &e) {
    set_err(err, errlen, e.what_without_backtrace());
    return DS_ERR_OOM;
  } catch (const c10::Error &e) {
    std::string msg = e.what_without_backtrace();
    set_err(err, errlen, msg);
    return looks_oom(msg) ? DS_ERR_OOM : DS_ERR_TORCH;
  } catch (const std::bad_alloc &) {
    set_err(err, errlen, "out of memory");
    return DS_ERR_OOM;
  } catch (const std::exception &e) {
    std::string msg = e.what();
    set_err(err, errlen, msg);
    return looks_oom(msg) ? DS_ERR_OOM : DS_ERR_TORCH;
  } catch (...) {
    set_err(err, errlen, "unknown C++ exception");
    return DS_ERR_TORCH;
  }
}

// device_of validates a (type, index) pair against this build and machine.
at::Device device_of(int type, int index) {
  switch (type) {
    case DS_CPU:
      return at::Device(at::kCPU);
    case DS_CUDA: {
      int n = static_cast<int>(torch::cuda::device_count());
      if (n == 0) throw ds_error(DS_ERR_DEVICE, "CUDA is not available (libtorch without CUDA, or no GPU visible)");
      if (index < 0 || index >= n) {
        throw ds_error(DS_ERR_DEVICE,
                       "no CUDA device " + std::to_string(index) + " (" + std::to_string(n) + " visible)");
      }
      return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index));
    }
    case DS_MPS:
      if (!at::hasMPS()) throw ds_error(DS_ERR_DEVICE, "MPS is not available");
      return at::Device(at::kMPS);
    default:
      throw ds_error(DS_ERR_INVALID, "unknown device type " + std::to_string(type));
  }
}

at::ScalarType scalar_of(int dtype) {
  switch (dtype) {
    case DS_FLOAT32:
      return at::kFloat;
    case DS_FLOAT16:
      return at::kHalf;
    case DS_BFLOAT16:
      return at::kBFloat16;
    default:
      throw ds_error(DS_ERR_INVALID, "unknown dtype " + std::to_string(dtype));
  }
}

std::string shape_string(at::IntArrayRef s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); i++) {
    if (i) out += ", ";
    out += std::to_string(s[i]);
  }
  return out + "]";
}

// collect flattens a method's return value into tensors.
void collect(const c10::IValue &v, std::vector<at::Tensor> &out) {
  if (v.isTensor()) {
    out.push_back(v.toTensor());
    return;
  }
  if (v.isTuple() || v.isList()) {
    std::vector<c10::IValue> elems;
    if (v.isTuple()) {
      for (const auto &e : v.toTupleRef().elements()) elems.push_back(e);
    } else {
      for (const auto &e : v.toListRef()) elems.push_back(e);
    }
    for (size_t i = 0; i < elems.size(); i++) {
      if (!elems[i].isTensor()) {
        throw ds_error(DS_ERR_TORCH, "output " + std::to_string(i) + " is " + elems[i].tagKind() +
                                         ", want a tensor");
      }
      out.push_back(elems[i].toTensor());
    }
    return;
  }
  throw ds_error(DS_ERR_TORCH, std::string("method returned ") + v.tagKind() + ", want a tensor or a tuple of tensors");
}

// pick_qengine selects the preferred quantised engine once per process
// (see ds_quantized_engine) and returns it.
at::QEngine pick_qengine() {
  static const at::QEngine chosen = [] {
    const auto &have = at::globalContext().supportedQEngines();
    auto has = [&](at::QEngine e) { return std::find(have.begin(), have.end(), e) != have.end(); };
    // x86 (torch >= 2.0) dispatches to FBGEMM or oneDNN per op; FBGEMM is
    // the tuned x86 engine before it; oneDNN is what Debian's libtorch 1.13
    // has on x86; QNNPACK is the ARM (and fallback) engine.
    std::vector<at::QEngine> order;
#if TORCH_VERSION_MAJOR >= 2
    order.push_back(at::QEngine::X86);
#endif
    order.push_back(at::QEngine::FBGEMM);
    order.push_back(at::QEngine::ONEDNN);
    order.push_back(at::QEngine::QNNPACK);
    for (at::QEngine e : order) {
      if (has(e)) {
        at::globalContext().setQEngine(e);
        return e;
      }
    }
    return at::QEngine::NoQEngine;
  }();
  return chosen;
}

std::string qengine_name(at::QEngine e) {
  switch (e) {
#if TORCH_VERSION_MAJOR >= 2
    case at::QEngine::X86:
      return "x86";
#endif
    case at::QEngine::FBGEMM:
      return "fbgemm";
    case at::QEngine::ONEDNN:
      return "onednn";
    case at::QEngine::QNNPACK:
      return "qnnpack";
    default:
      return "none";
  }
}

// has_quantized reports whether a module holds quantised weights: packed
// parameters are TorchBind objects of the quantized namespace
// (__torch__.torch.classes.quantized.Conv2dPackedParamsBase, …).
bool has_quantized(const torch::jit::Module &m) {
  for (const auto &a : m.named_attributes(/*recurse=*/true)) {
    const c10::IValue &v = a.value;
    if (v.isObject()) {
      auto t = v.type();
      if (t && t->str().find("quantized") != std::string::npos) return true;
    } else if (v.isTensor() && v.toTensor().is_quantized()) {
      return true;
    }
  }
  return false;
}

}  // namespace

extern "C" {

ds_status ds_quantized_engine(char *name, size_t namelen, char *err, size_t errlen) {
  return guard(err, errlen, [&] {
    if (name == nullptr && namelen > 0) throw ds_error(DS_ERR_INVALID, "name is NULL");
    set_err(name, namelen, qengine_name(pick_qengine()));
  });
}

int ds_abi_version(void) { return DS_ABI_VERSION; }

const char *ds_version(void) { return DRUMSPLIT_TORCH_VERSION; }

const char *ds_torch_version(void) {
#ifdef DRUMSPLIT_WITH_CUDA
  static const std::string v = std::string(TORCH_VERSION) + "+cuda" + std::to_string(CUDART_VERSION / 1000) + "." +
                               std::to_string((CUDART_VERSION % 1000) / 10);
  return v.c_str();
#else
  return TORCH_VERSION;
#endif
}

// wanted_threads is the intra-op thread count last asked for (0: never
// asked). With OpenMP, at::set_num_threads sets the calling OS thread's
// count (and a default that only threads not yet used by ATen pick up);
// Go runs cgo calls on whichever OS thread the goroutine is on, so every
// run applies the count on its own thread.
static std::atomic<int> wanted_threads{0};

static void apply_threads() {
  int n = wanted_threads.load(std::memory_order_relaxed);
  if (n > 0 && at::get_num_threads() != n) at::set_num_threads(n);
}

int ds_get_num_threads(void) {
  try {
    apply_threads();
    return at::get_num_threads();
  } catch (...) {
    return 1;
  }
}

ds_status ds_set_num_threads(int n, char *err, size_t errlen) {
  return guard(err, errlen, [&] {
    if (n < 1) throw ds_error(DS_ERR_INVALID, "thread count must be at least 1, got " + std::to_string(n));
    wanted_threads.store(n, std::memory_order_relaxed);
    at::set_num_threads(n);
  });
}

// profiling_wanted is the graph executor asked for with
// ds_set_profiling_executor (-1: never asked, the simple executor). The
// profiling executor runs every method twice in an instrumented, slower
// form before it optimises, and on the CPU its optimisations buy nothing
// for these networks (libtorch 1.13 fuses no CPU kernels by default): for
// the bundled model its first two batches cost about twice a later one,
// the simple executor's first batch about 1.5 times, with the same output.
static std::atomic<int> profiling_wanted{-1};

static void apply_executor() {
  int w = profiling_wanted.load(std::memory_order_relaxed);
  torch::jit::getProfilingMode() = w > 0;
}

void ds_set_profiling_executor(int on) {
  try {
    profiling_wanted.store(on ? 1 : 0, std::memory_order_relaxed);
    apply_executor();
  } catch (...) {
  }
}

int ds_profiling_executor(void) {
  try {
    return torch::jit::getProfilingMode() ? 1 : 0;
  } catch (...) {
    return 0;
  }
}

int ds_cuda_device_count(void) {
  try {
    return static_cast<int>(torch::cuda::device_count());
  } catch (...) {
    return 0;
  }
}

ds_status ds_cuda_device_info(int index, char *name, size_t namelen, int64_t *total_bytes, int64_t *free_bytes,
                              char *err, size_t errlen) {
  return guard(err, errlen, [&] {
    at::Device dev = device_of(DS_CUDA, index);
#ifdef DRUMSPLIT_WITH_CUDA
    cudaDeviceProp prop;
    cudaError_t rc = cudaGetDeviceProperties(&prop, dev.index());
    if (rc != cudaSuccess) throw ds_error(DS_ERR_DEVICE, cudaGetErrorString(rc));
    c10::cuda::CUDAGuard g(dev.index());
    size_t fr = 0, tot = 0;
    rc = cudaMemGetInfo(&fr, &tot);
    if (rc != cudaSuccess) throw ds_error(DS_ERR_DEVICE, cudaGetErrorString(rc));
    set_err(name, namelen, prop.name);
    if (total_bytes) *total_bytes = static_cast<int64_t>(tot);
    if (free_bytes) *free_bytes = static_cast<int64_t>(fr);
#else
    (void)dev;
    (void)name;
    (void)namelen;
    (void)total_bytes;
    (void)free_bytes;
    throw ds_error(DS_ERR_UNSUPPORTED, "library built without CUDA support");
#endif
  });
}

int ds_mps_available(void) {
  try {
    return at::hasMPS() ? 1 : 0;
  } catch (...) {
    return 0;
  }
}

ds_status ds_synchronize(int device_type, int index, char *err, size_t errlen) {
  return guard(err, errlen, [&] {
    at::Device dev = device_of(device_type, index);
    if (dev.is_cuda()) {
#ifdef DRUMSPLIT_WITH_CUDA
      c10::cuda::CUDAGuard g(dev.index());
      cudaError_t rc = cudaDeviceSynchronize();
      if (rc != cudaSuccess) throw ds_error(DS_ERR_DEVICE, cudaGetErrorString(rc));
#else
      throw ds_error(DS_ERR_UNSUPPORTED, "library built without CUDA support");
#endif
    } else if (dev.is_mps()) {
#ifdef DS_MPS_API
      torch::mps::synchronize();
#else
      throw ds_error(DS_ERR_UNSUPPORTED, "MPS synchronize needs libtorch 2.1 or newer");
#endif
    }
    // CPU work is synchronous: nothing to wait for.
  });
}

ds_status ds_empty_cache(int device_type, int index, char *err, size_t errlen) {
  return guard(err, errlen, [&] {
    at::Device dev = device_of(device_type, index);
    if (dev.is_cuda()) {
#ifdef DRUMSPLIT_WITH_CUDA
      c10::cuda::CUDACachingAllocator::emptyCache();
#endif
    } else if (dev.is_mps()) {
#ifdef DS_MPS_API
      at::detail::getMPSHooks().emptyCache();
#endif
    }
    // The CPU allocator keeps no cache of its own.
  });
}

ds_status ds_peak_memory(int device_type, int index, int64_t *bytes, char *err, size_t errlen) {
  return guard(err, errlen, [&] {
    at::Device dev = device_of(device_type, index);
    if (bytes == nullptr) throw ds_error(DS_ERR_INVALID, "bytes is NULL");
#ifdef DRUMSPLIT_WITH_CUDA
    if (dev.is_cuda()) {
      // Index 0 of every StatArray is StatType::AGGREGATE in all releases.
      auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(dev.index());
      *bytes = stats.allocated_bytes[0].peak;
      return;
    }
#endif
    throw ds_error(DS_ERR_UNSUPPORTED, "not tracked for " + dev.str());
  });
}

ds_status ds_reset_peak_memory(int device_type, int index, char *err, size_t errlen) {
  return guard(err, errlen, [&] {
    at::Device dev = device_of(device_type, index);
#ifdef DRUMSPLIT_WITH_CUDA
    if (dev.is_cuda()) {
      c10::cuda::CUDACachingAllocator::resetPeakStats(dev.index());
      return;
    }
#endif
    throw ds_error(DS_ERR_UNSUPPORTED, "not tracked for " + dev.str());
  });
}

ds_status ds_module_load(const char *path, int device_type, int index, ds_module **out, char *err, size_t errlen) {
  return guard(err, errlen, [&] {
    if (path == nullptr || out == nullptr) throw ds_error(DS_ERR_INVALID, "path or out is NULL");
    at::Device dev = device_of(device_type, index);
    // The file is opened once, here: torch::jit::load(path) would open it
    // twice (once to sniff the format, once to read it).
    std::ifstream f(path, std::ios::binary);
    if (!f) throw ds_error(DS_ERR_IO, std::strerror(errno));
    // Load on the CPU, then move: loading straight onto MPS fails before 2.x,
    // and the CPU copy lets us convert dtypes before touching the device.
    auto m = std::make_unique<ds_module>();
    apply_executor();
    pick_qengine();
    {
      torch::NoGradGuard no_grad;
      try {
        m->mod = torch::jit::load(f, at::Device(at::kCPU));
      } catch (const c10::Error &e) {
        // The zip reader's complaints mean the file is no TorchScript
        // archive at all (truncated, another format, a torch.save
        // checkpoint, a zip without TorchScript records); anything else is
        // a real model that libtorch cannot load, and keeps its status.
        // The first line is the one users see.
        std::string msg = e.what_without_backtrace();
        if (msg.find("PytorchStreamReader") != std::string::npos || msg.find("hasRecord(") != std::string::npos) {
          throw ds_error(DS_ERR_IO, "not a TorchScript archive\n" + msg);
        }
        throw;
      }
      m->mod.eval();
      if (!dev.is_cpu() && has_quantized(m->mod)) {
        throw ds_error(DS_ERR_UNSUPPORTED, "the model is quantised (int8), which runs on the CPU only, not " +
                                               dev.str());
      }
      if (!dev.is_cpu()) m->mod.to(dev);
    }
    m->device = dev;
    *out = m.release();
  });
}

void ds_module_free(ds_module *m) {
  try {
    delete m;
  } catch (...) {
  }
}

int ds_module_has_method(const ds_module *m, const char *method) {
  try {
    if (m == nullptr || method == nullptr) return 0;
    return m->mod.find_method(method).has_value() ? 1 : 0;
  } catch (...) {
    return 0;
  }
}

ds_status ds_module_to_dtype(ds_module *m, int dtype, char *err, size_t errlen) {
  return guard(err, errlen, [&] {
    if (m == nullptr) throw ds_error(DS_ERR_INVALID, "module is NULL");
    at::ScalarType st = scalar_of(dtype);
    if (m->opt != DS_OPT_NONE) {
      throw ds_error(DS_ERR_UNSUPPORTED, "the module's graph is frozen: its weights cannot change dtype");
    }
    torch::NoGradGuard no_grad;
    std::vector<at::Tensor> state;
    for (const at::Tensor &t : m->mod.parameters()) state.push_back(t);
    for (const at::Tensor &t : m->mod.buffers()) state.push_back(t);
    if (m->loaded.empty()) {
      // First conversion: keep the values as loaded. detach() shares the
      // storage without copying and Module::to gives the module new
      // storage, so on the CPU this costs no copy; a device module keeps a
      // host copy.
      m->loaded.reserve(state.size());
      for (const at::Tensor &t : state) {
        m->loaded.push_back(t.device().is_cpu() ? t.detach() : t.detach().to(at::kCPU));
      }
      m->mod.to(st);
      m->planner->reset();
      return;
    }
    if (m->loaded.size() != state.size()) {
      throw ds_error(DS_ERR_INVALID, "the module's parameters changed since it was loaded");
    }
    // What Module::to(dtype) does (set_data on every parameter and buffer),
    // from the loaded values instead of the current ones.
    for (size_t i = 0; i < state.size(); i++) {
      state[i].set_data(m->loaded[i].to(m->device, st, /*non_blocking=*/false, /*copy=*/true));
    }
    m->planner->reset();
  });
}

ds_status ds_module_optimize(ds_module *m, int opt, char *err, size_t errlen) {
  return guard(err, errlen, [&] {
    if (m == nullptr) throw ds_error(DS_ERR_INVALID, "module is NULL");
    if (opt != DS_OPT_NONE && opt != DS_OPT_FREEZE && opt != DS_OPT_INFERENCE) {
      throw ds_error(DS_ERR_INVALID, "unknown graph optimisation " + std::to_string(opt));
    }
    if (opt == DS_OPT_NONE) return;
    if (m->opt != DS_OPT_NONE) throw ds_error(DS_ERR_INVALID, "the module's graph is optimised already");
    if (!m->loaded.empty()) {
      throw ds_error(DS_ERR_INVALID, "the module's dtype was changed: optimise it before converting");
    }
    // freeze keeps forward only unless told otherwise; every method the
    // module has must survive (forward_spec above all).
    std::vector<std::string> keep;
    for (const auto &method : m->mod.get_methods()) {
      if (method.name() != "forward") keep.push_back(method.name());
    }
    torch::NoGradGuard no_grad;
    torch::jit::Module frozen = torch::jit::freeze(m->mod, keep);
    if (opt == DS_OPT_INFERENCE) frozen = torch::jit::optimize_for_inference(frozen, keep);
    m->mod = frozen;
    m->opt = opt;
    m->planner->reset();
  });
}

ds_status ds_module_run(ds_module *m, const char *method, size_t n_inputs, const int64_t *const *shapes,
                        const size_t *ndims, const float *const *data, ds_result **out, char *err, size_t errlen) {
  return guard(err, errlen, [&] {
    if (m == nullptr || method == nullptr || out == nullptr) throw ds_error(DS_ERR_INVALID, "module, method or out is NULL");
    if (n_inputs > 0 && (shapes == nullptr || ndims == nullptr || data == nullptr)) {
      throw ds_error(DS_ERR_INVALID, "inputs are NULL");
    }
    auto fn = m->mod.find_method(method);
    if (!fn) throw ds_error(DS_ERR_NOT_FOUND, "the module has no method \"" + std::string(method) + "\"");

    apply_threads();
    for (size_t i = 0; i < n_inputs; i++) {
      if (ndims[i] < 1 || ndims[i] > DS_MAX_DIMS) {
        throw ds_error(DS_ERR_INVALID, "input " + std::to_string(i) + " has rank " + std::to_string(ndims[i]) +
                                           ", want 1 to " + std::to_string(DS_MAX_DIMS));
      }
      for (size_t d = 0; d < ndims[i]; d++) {
        if (shapes[i][d] < 0) throw ds_error(DS_ERR_INVALID, "input " + std::to_string(i) + " has negative dimension");
      }
    }
    // A run's allocations depend on the method and the input shapes only.
    std::string key = method;
    for (size_t i = 0; i < n_inputs; i++) {
      key += '|';
      for (size_t d = 0; d < ndims[i]; d++) key += std::to_string(shapes[i][d]) + ',';
    }
    // The run lasts until its outputs are freed (ds_result_free), so that
    // their frees are part of it and they are planned too; a failure ends
    // it here. Its allocations are those made on this thread within this
    // call: the next call on this thread may belong to anything else.
    std::shared_ptr<ds::Planner> planner = m->device.is_cpu() ? m->planner : nullptr;
    struct EndOnFailure {
      ds::Planner *p;
      ~EndOnFailure() {
        ds::leave_run();
        if (p) p->end(false);
      }
    } end_on_failure{planner.get()};
    if (planner) planner->begin(key);
    c10::InferenceMode inference;
    std::vector<c10::IValue> args;
    args.reserve(n_inputs);
    for (size_t i = 0; i < n_inputs; i++) {
      std::vector<int64_t> shape(shapes[i], shapes[i] + ndims[i]);
      // from_blob aliases the caller's memory; the copy below (copy=true even
      // on the CPU) guarantees no output can alias it after we return.
      at::Tensor host = torch::from_blob(const_cast<float *>(data[i]), shape, at::kFloat);
      args.emplace_back(host.to(m->device, at::kFloat, /*non_blocking=*/false, /*copy=*/true));
    }
    c10::IValue ret = (*fn)(std::move(args));
    auto r = std::make_unique<ds_result>();
    collect(ret, r->outputs);
    r->planner = std::move(planner);
    end_on_failure.p = nullptr;
    *out = r.release();
  });
}

void ds_set_memory_planning(int on) {
  try {
    ds::set_planning(on != 0);
  } catch (...) {
  }
}

int ds_memory_planning(void) {
  try {
    return ds::planning() ? 1 : 0;
  } catch (...) {
    return 0;
  }
}

ds_status ds_module_plan_stats(const ds_module *m, int64_t *block_bytes, int64_t *planned, int64_t *fallback,
                               int64_t *recorded, char *err, size_t errlen) {
  return guard(err, errlen, [&] {
    if (m == nullptr) throw ds_error(DS_ERR_INVALID, "module is NULL");
    ds::PlanStats s = m->planner->stats();
    if (block_bytes) *block_bytes = s.block_bytes;
    if (planned) *planned = s.planned;
    if (fallback) *fallback = s.fallback;
    if (recorded) *recorded = s.recorded;
  });
}

size_t ds_result_count(const ds_result *r) { return r ? r->outputs.size() : 0; }

size_t ds_result_shape(const ds_result *r, size_t i, int64_t *dims, size_t maxdims) {
  if (r == nullptr || i >= r->outputs.size()) return 0;
  auto s = r->outputs[i].sizes();
  for (size_t k = 0; k < s.size() && k < maxdims; k++) dims[k] = s[k];
  return s.size();
}

ds_status ds_result_copy(const ds_result *r, size_t i, float *dst, size_t n, char *err, size_t errlen) {
  return guard(err, errlen, [&] {
    if (r == nullptr || i >= r->outputs.size()) throw ds_error(DS_ERR_INVALID, "no output " + std::to_string(i));
    const at::Tensor &t = r->outputs[i];
    if (static_cast<size_t>(t.numel()) != n) {
      throw ds_error(DS_ERR_INVALID, "output " + std::to_string(i) + " has shape " + shape_string(t.sizes()) +
                                         " (" + std::to_string(t.numel()) + " values), destination holds " +
                                         std::to_string(n));
    }
    if (n == 0) return;
    if (dst == nullptr) throw ds_error(DS_ERR_INVALID, "dst is NULL");
    c10::InferenceMode inference;
    // copy_ converts dtype, gathers non-contiguous data and copies from the
    // device straight into the caller's buffer, with no temporary on the host.
    torch::from_blob(dst, t.sizes(), at::kFloat).copy_(t);
  });
}

void ds_result_free(ds_result *r) {
  try {
    if (r == nullptr) return;
    std::shared_ptr<ds::Planner> planner = std::move(r->planner);
    delete r;  // the outputs first: their frees are part of the run
    if (planner) planner->end(true);
  } catch (...) {
  }
}

}  // extern "C"
