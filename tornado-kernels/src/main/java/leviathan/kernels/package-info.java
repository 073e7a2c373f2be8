/**
 * Kernel bodies: the one math source of every stage of training.
 *
 * <p>Every method here is written in the subset of Java that TornadoVM compiles: static, over
 * primitive arrays, no allocation, no objects, no exceptions, {@code java.lang.Math} only. Each
 * body computes the outputs owned by one explicit index of its parallel extent (a row, an
 * element, a head), so that backends may run the indices in any order or all at once, and so
 * that no two indices write the same output (no races, no atomics, bit-identical results).
 *
 * <p>Arguments follow llm.c's order: outputs, inputs, weights, sizes, then the parallel
 * index. A buffer is an array plus an offset into it (parameters, gradients and activations
 * each live in one contiguous block). Backward bodies accumulate ({@code +=}) into gradients.
 * Sizes are validated where a stage is declared ({@code leviathan.stages.CoreStages}), never here.
 */
package leviathan.kernels;
