using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ParameterSaliency.Saliency;

/// <summary>
/// Watches every <c>nn.ReLU</c> module of a model during one forward pass and finds the images whose profile
/// s(x, y) float32 may not settle (<see cref="SettlingCheck"/> then asks a float64 forward which of them it got wrong): a ReLU input within rounding of zero (|x| ≤ <see cref="RoundingBand"/> · the
/// largest |x| of that image's tensor) that carries a gradient (|∂L/∂out| ≥ <see cref="GradientShare"/> · the
/// sum of |∂L/∂out| over that image's channel). Whether such an input passes the ReLU is decided by the summation order of
/// the kernels that computed it, so every float32 implementation (ours, PyTorch's, any CPU's) gets the mask of
/// that entry right or wrong by luck, and a wrong mask moves the gradient of every layer below it. Measured on
/// the default model: test image 141's <c>layer3.1.bn1</c> output [22, 2, 4] is 7.8e-8 in float64 (the
/// tensor's largest |x| is 1.23); oneDNN's AVX-512 forward gave −7.1e-10 in a batch of two (mask 0), the
/// native kernel of a batch of one 1.9e-7 (mask 1); the gradient there is 0.10 (the largest 0.25), and the
/// wrong mask moved 141's profile by 1.2e-2 (one filter by 12%).
/// </summary>
internal sealed class ReluKinks : IDisposable
{
    /// <summary>
    /// A ReLU input this close to zero, relative to the largest |x| of its image's tensor, may be on the wrong side of
    /// it. float32's forward error at the default model's ReLU inputs, against a float64 forward over the first 1,024
    /// test images, was at most 2.3e-7..1.0e-6 of that largest value per layer under the cap ALL and up to 1.5e-6
    /// under AVX2.
    /// </summary>
    public const double RoundingBand = 2e-6;

    /// <summary>
    /// An entry in the band is a candidate when its gradient is at least this share of all the |∂L/∂out| of its image's
    /// channel (of its feature, for a 2-D output): what a flip of its mask moves, against what flows through the filter
    /// it feeds. Measured on the first 1,024 test images of the default model, each candidate checked against a float64
    /// forward: 364 candidates, 5 wrong masks under ALL (139, 141, 240, 379, 637), 2 under AVX2 (0, 428), worst row
    /// left 7.3e-5 (ALL), 7.4e-5 (AVX2). With 0.005: 223 candidates, #637 left at 2.5e-4. Shares of the tensor's
    /// largest gradient instead (0.02: 533 candidates) missed #379 (2.1e-4), diluted over its channel.
    /// </summary>
    public const double GradientShare = 0.002;

    readonly List<(Tensor Near, Tensor Output)> calls = [];
    readonly List<IDisposable> removers = [];

    ReluKinks(nn.Module model)
    {
        foreach (var relu in ReluModules(model))
        {
            Tensor? near = null;
            removers.Add(new Remover(relu.register_forward_pre_hook((_, x) =>
            {
                using var scope = NewDisposeScope();
                var magnitude = x.detach().abs();
                var largest = magnitude.flatten(1).amax([1]).reshape([-1, .. Enumerable.Repeat(1L, (int)x.dim() - 1)]);
                near = magnitude.le(largest * RoundingBand).DetachFromDisposeScope();
                return x;
            }).remove));
            removers.Add(new Remover(relu.register_forward_hook((_, _, output) =>
            {
                calls.Add((near!, output.alias().DetachFromDisposeScope()));
                near = null;
                return output;
            }).remove));
        }
    }

    /// <summary>
    /// Starts watching the ReLU modules of <paramref name="model"/> for a pass over <paramref name="images"/> when
    /// <paramref name="check"/> is given and the pass runs in float32 (a float64 pass is its own reference); dispose after
    /// the backward.
    /// </summary>
    public static ReluKinks? Watch(nn.Module model, Tensor images, SettlingCheck? check) =>
        check is not null && images.dtype != ScalarType.Float64 ? new ReluKinks(model) : null;

    /// <summary>The model's ReLU modules, in the order <c>named_modules</c> lists them (functional ReLUs cannot be seen).</summary>
    public static IEnumerable<ReLU> ReluModules(nn.Module model) => model.named_modules().Select(m => m.module).OfType<ReLU>();

    /// <summary>The ReLU outputs of the pass, whose gradients <see cref="Candidates"/> needs (in this order).</summary>
    public Tensor[] Outputs => calls.Select(c => c.Output).ToArray();

    /// <summary>
    /// The images (rows of the pass) with a ReLU input in the rounding band that carries a gradient, from ∂L/∂out of each of
    /// <see cref="Outputs"/> (null or undefined: unused), and for each ReLU call of the pass, restricted to those images,
    /// which entries are such inputs and which inputs float32 let through (x &gt; 0, read from the output: the ReLU passes
    /// exactly its positive inputs, in place or not).
    /// </summary>
    public (long[] Images, (Tensor Candidate, Tensor Open)[] Calls) Candidates(IReadOnlyList<Tensor?> outputGradients)
    {
        using var scope = NewDisposeScope();
        var candidates = new Tensor[calls.Count];
        Tensor? any = null;
        for (int i = 0; i < calls.Count; i++)
        {
            var magnitude = outputGradients[i] is { } gradient ? LoopEngine.GradientOrZero(gradient, calls[i].Output).detach().abs() : zeros_like(calls[i].Near, ScalarType.Float32);
            // What one entry's gradient weighs against all that flows through its channel (its feature, for a 2-D output).
            var total = magnitude.dim() > 2 ? magnitude.flatten(2).sum([2]).reshape([.. magnitude.shape[..2], .. Enumerable.Repeat(1L, (int)magnitude.dim() - 2)])
                                             : magnitude.sum([1], keepdim: true);
            candidates[i] = calls[i].Near.logical_and(magnitude.ge(total * GradientShare));
            var hit = candidates[i].flatten(1).any(1);
            any = any is null ? hit : any.logical_or(hit);
        }
        if (any is null) return ([], []);
        var images = any.nonzero().flatten();
        if (images.shape[0] == 0) return ([], []);
        var chosen = candidates.Select((candidate, i) => (
            candidate.index_select(0, images).MoveToOuterDisposeScope(),
            calls[i].Output.index_select(0, images).gt(0).MoveToOuterDisposeScope())).ToArray();
        return (images.cpu().data<long>().ToArray(), chosen);
    }

    /// <summary>Removes the hooks and frees what they kept.</summary>
    public void Dispose()
    {
        foreach (var remover in removers) remover.Dispose();
        foreach (var (near, output) in calls)
        {
            near.Dispose();
            output.Dispose();
        }
        calls.Clear();
    }

    internal sealed class Remover(Action remove) : IDisposable
    {
        public void Dispose() => remove();
    }
}
