// splatscape: one executable, one subcommand per file in app/cli/.
#include <cstdio>
#include <exception>

#include "app/cli/command.hpp"
#include "core/error.hpp"
#include "core/log.hpp"

int main(int argc, char** argv) {
    using namespace splatscape;
    CLI::App app{"Splatscape: reconstruct, view and export 3D and 4D radiance-field scenes", "splatscape"};
    app.require_subcommand(1, 1);
    app.set_version_flag("--version", "splatscape 0.1.0");
    int verbosity = 0;
    bool quiet = false;
    app.add_flag("-v,--verbose", verbosity, "More log output (repeat for debug)");
    app.add_flag("-q,--quiet", quiet, "Only warnings and errors");

    cli::Registry registry;
    cli::add_info(app, registry);
    cli::add_export(app, registry);
    cli::add_convert(app, registry);
    cli::add_generate(app, registry);
    cli::add_train(app, registry);
    cli::add_eval(app, registry);
    cli::add_render(app, registry);
    cli::add_demo(app, registry);
    cli::add_view(app, registry);
    cli::add_process(app, registry);
    cli::add_batch(app, registry);
    cli::add_partition(app, registry);
    cli::add_merge(app, registry);
    cli::add_distill(app, registry);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e); // --help, --version
        app.exit(e);
        return 2;
    }
    log::set_level(quiet ? log::Level::Warn : verbosity > 0 ? log::Level::Debug : log::Level::Info);
    try {
        return registry.action ? registry.action() : 2;
    } catch (const UsageError& e) {
        log::error(e.what());
        return 2;
    } catch (const Interrupted& e) {
        log::warn(e.what());
        return 130;
    } catch (const Error& e) {
        log::error(e.what());
        return 1;
    } catch (const std::exception& e) {
        log::error("internal error: ", e.what());
        return 1;
    }
}
