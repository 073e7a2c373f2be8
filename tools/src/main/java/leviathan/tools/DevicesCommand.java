package leviathan.tools;

import java.util.Set;

import leviathan.graph.BackendProvider;

/** {@code leviathan devices}: the backends and devices this build can run on. */
final class DevicesCommand implements Main.Command {
    @Override
    public int run(String[] argv) {
        Args args = new Args(argv, Set.of("debug"));
        args.flag("debug");
        args.rejectUnused("devices");
        boolean tornado = false;
        for (BackendProvider p : BackendProvider.all()) {
            tornado |= p.name().equals("tornado");
            System.out.println("backend " + p.name() + ":");
            for (String d : p.devices()) {
                System.out.println("  " + d);
            }
        }
        if (!tornado) {
            System.out.println("backend tornado: not built (build with -Ptornado against a TornadoVM SDK and run under the tornado launcher; see README)");
        }
        return 0;
    }
}
