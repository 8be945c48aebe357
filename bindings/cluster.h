#pragma once
// `amprig sweep FILE --cluster tcp://HOST:PORT`: the sweep's runs on a Dask distributed cluster,
// driven from the program's embedded interpreter by amprig/_cluster.py.
#include <functional>
#include <string>

#include "sweep/runner.h"

namespace amprig::bindings {

// A sweep::ClusterBackend. Starts the interpreter: once per process.
void run_on_cluster(const sweep::ClusterJob& job, const std::function<void(const std::string&)>& done,
                    const std::function<bool()>& stopping);

}  // namespace amprig::bindings
