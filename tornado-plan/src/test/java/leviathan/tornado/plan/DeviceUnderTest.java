package leviathan.tornado.plan;

import java.util.function.Supplier;

import leviathan.graph.Backend;

/** What a parity check compares: a device backend against a reference backend, within a tolerance (0: bit for bit). */
public record DeviceUnderTest(Supplier<Backend> reference, Supplier<Backend> device, double tolerance) {
}
