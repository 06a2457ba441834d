using TorchSharp;
using static TorchSharp.torch;
using static ParameterSaliency.Runtime.HeldScalars;

namespace ParameterSaliency.Saliency;

/// <summary>
/// For the forward passes it is alive for, makes every <c>nn.ReLU</c> module of a model let through exactly the inputs a
/// float64 forward let through (<see cref="Float64Twin.OpenMasks"/>), while the values stay float32: where float32 put
/// an input on the other side of zero, a constant (no gradient) moves it just across, so the entry passes or stops as in
/// float64 and ∂L/∂x flows through it unchanged. A float32 profile of an image under its float64 masks is what
/// <see cref="SaliencyProfiler"/> settles the rows float32 got wrong with: within float32 rounding of the float64
/// profile, at the cost of a float32 pass.
/// </summary>
internal sealed class PinnedRelus : IDisposable
{
    /// <summary>How far across zero a pinned input is moved (a normal float32, so flushing denormals cannot undo it).</summary>
    static readonly Scalar Nudge = 1e-30f;

    readonly List<IDisposable> removers = [];
    int calls;

    /// <summary>
    /// Pins the ReLU calls of a forward of n images to <paramref name="open"/> (x &gt; 0 of each call of one forward of those
    /// n images, in order): one forward of all n (the batched engine), or n forwards of one image each, in order (the loop).
    /// </summary>
    public PinnedRelus(nn.Module model, IReadOnlyList<Tensor> open)
    {
        foreach (var relu in ReluKinks.ReluModules(model))
            removers.Add(new ReluKinks.Remover(relu.register_forward_pre_hook((_, x) =>
            {
                long firstImage = calls / open.Count * x.shape[0];
                var wanted = open[calls % open.Count];
                calls++;
                if (firstImage + x.shape[0] > wanted.shape[0] || !wanted.shape.Skip(1).SequenceEqual(x.shape.Skip(1)))
                    throw new InvalidOperationException($"ReLU call {calls} has input [{string.Join(", ", x.shape)}] here, unlike the float64 twin's [{string.Join(", ", wanted.shape)}]: " +
                                                        "the builder given to ExactReference.Register builds another architecture.");
                wanted = wanted.narrow(0, firstImage, x.shape[0]);
                var value = x.detach();
                var wrong = wanted.logical_xor(value.gt(Zero));
                // Most calls already agree with float64 everywhere: they pass unchanged, without the full-size arithmetic
                // below (on ResNet-50 it made a pinned pass 1.3x as slow as a plain one).
                if (!wrong.any().item<bool>()) return x;
                var across = wanted.to(x.dtype).mul(Two).sub(One).mul(value.abs().add(Nudge)); // ±(|x| + nudge), the side float64 chose
                return x + where(wrong, across - value, zeros_like(value));
            }).remove));
    }

    /// <summary>ReLU calls pinned so far (of all forwards).</summary>
    public int Calls => calls;

    public void Dispose()
    {
        foreach (var remover in removers) remover.Dispose();
    }
}
