using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ParameterSaliency.Saliency;

/// <summary>
/// Watches every <c>nn.ReLU</c> module of a model during one forward pass and finds the images whose profile
/// s(x, y) float32 cannot settle: a ReLU input within rounding of zero (|x| ≤ <see cref="RoundingBand"/> · the
/// largest |x| of that image's tensor) that carries a gradient (|∂L/∂out| ≥ <see cref="GradientShare"/> · the
/// largest of that image's tensor). Whether such an input passes the ReLU is decided by the summation order of
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
    /// An entry in the band matters when its gradient is at least this share of the largest |∂L/∂out| of its image's
    /// tensor. Measured on the first 1,024 test images of the default model: with 0.1, every row ended within 2.1e-4
    /// of float64 under ALL and 6.9e-6 under AVX2 (238 rows recomputed); with 0.2, rows at 2.4e-3 and 1.9e-3 under
    /// AVX2 were missed; with 0.3, a row at 4.6e-4 under ALL.
    /// </summary>
    public const double GradientShare = 0.1;

    readonly List<(Tensor Near, Tensor Output)> calls = [];
    readonly List<IDisposable> removers = [];

    ReluKinks(nn.Module model)
    {
        foreach (var (_, module) in model.named_modules())
        {
            if (module is not ReLU relu) continue;
            Tensor? near = null;
            removers.Add(new Remover(relu.register_forward_pre_hook((_, input) =>
            {
                using var scope = NewDisposeScope();
                var magnitude = input.detach().abs();
                var largest = magnitude.flatten(1).amax([1]).reshape([-1, .. Enumerable.Repeat(1L, (int)input.dim() - 1)]);
                near = magnitude.le(largest * RoundingBand).DetachFromDisposeScope();
                return input;
            }).remove));
            removers.Add(new Remover(relu.register_forward_hook((_, _, output) =>
            {
                calls.Add((near!, output.alias().DetachFromDisposeScope()));
                near = null;
                return output;
            }).remove));
        }
    }

    /// <summary>Starts watching the ReLU modules of <paramref name="model"/>; dispose after the backward.</summary>
    public static ReluKinks Watch(nn.Module model) => new(model);

    /// <summary>Whether the model has any ReLU module to watch (functional ReLUs cannot be seen).</summary>
    public static bool CanWatch(nn.Module model) => model.named_modules().Any(m => m.module is ReLU);

    /// <summary>The ReLU outputs of the pass, whose gradients <see cref="Unsettled"/> needs (in this order).</summary>
    public Tensor[] Outputs => calls.Select(c => c.Output).ToArray();

    /// <summary>The images (rows of the batch) with an unsettled ReLU input, from ∂L/∂out of each of <see cref="Outputs"/> (null: unused).</summary>
    public int[] Unsettled(IReadOnlyList<Tensor?> outputGradients)
    {
        if (calls.Count == 0) return [];
        using var scope = NewDisposeScope();
        Tensor? any = null;
        for (int i = 0; i < calls.Count; i++)
        {
            if (outputGradients[i] is not { } gradient) continue;
            var magnitude = LoopEngine.GradientOrZero(gradient, calls[i].Output).detach().abs();
            var largest = magnitude.flatten(1).amax([1]).reshape([-1, .. Enumerable.Repeat(1L, (int)magnitude.dim() - 1)]);
            var carried = magnitude.ge(largest * GradientShare).logical_and(largest.gt(0));
            var hit = calls[i].Near.logical_and(carried).flatten(1).any(1);
            any = any is null ? hit : any.logical_or(hit);
        }
        if (any is null) return [];
        return any.nonzero().flatten().cpu().data<long>().Select(i => (int)i).ToArray();
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

    sealed class Remover(Action remove) : IDisposable
    {
        public void Dispose() => remove();
    }
}
