#pragma once
// Subcommands: each app/cli/<name>.cpp adds itself to the CLI11 app and sets the action to run
// after parsing. Actions return the process exit code; they throw splatscape::Error for failures
// a user can act on and UsageError for bad options (exit code 2).
#include <functional>

#include <CLI/CLI.hpp>

namespace splatscape::cli {

using Action = std::function<int()>;

struct Registry {
    Action action; // set by the subcommand that was chosen
};

// One per subcommand file.
void add_info(CLI::App& app, Registry& registry);
void add_export(CLI::App& app, Registry& registry);
void add_convert(CLI::App& app, Registry& registry);
void add_generate(CLI::App& app, Registry& registry);
void add_train(CLI::App& app, Registry& registry);
void add_eval(CLI::App& app, Registry& registry);
void add_render(CLI::App& app, Registry& registry);
void add_demo(CLI::App& app, Registry& registry);
void add_view(CLI::App& app, Registry& registry);
void add_process(CLI::App& app, Registry& registry);
void add_batch(CLI::App& app, Registry& registry);
void add_partition(CLI::App& app, Registry& registry);
void add_merge(CLI::App& app, Registry& registry);
void add_distill(CLI::App& app, Registry& registry);

} // namespace splatscape::cli
