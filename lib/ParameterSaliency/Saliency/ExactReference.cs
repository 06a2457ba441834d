using System.Runtime.CompilerServices;
using TorchSharp;
using static TorchSharp.torch;

namespace ParameterSaliency.Saliency;

/// <summary>
/// How to build a second instance of a model's architecture, so that the profiles s(x, y) float32 cannot settle
/// (a ReLU input within rounding of zero that carries a gradient, <see cref="SaliencyProfiles.Float64Rows"/>) are
/// computed again in float64 with the model's current weights. Models built by this library (every
/// <see cref="Models.ResNet"/>, every model <see cref="Models.ModelFile.Load"/> reads) are registered already;
/// register your own with <see cref="Register"/>. An unregistered model's unsettled rows are kept in float32 and
/// named in <see cref="SaliencyProfiles.UnsettledRows"/>.
/// </summary>
public static class ExactReference
{
    static readonly ConditionalWeakTable<nn.Module, Func<nn.Module<Tensor, Tensor>>> Builders = new();

    /// <summary>Registers <paramref name="build"/>, which returns a new instance of <paramref name="model"/>'s architecture (any weights, any precision: the model's weights are copied into it in float64 whenever it is used).</summary>
    /// <param name="model">The model whose unsettled rows the new instance recomputes.</param>
    /// <param name="build">Builds a new, independent instance with the same parameter and buffer names and shapes.</param>
    public static void Register(nn.Module<Tensor, Tensor> model, Func<nn.Module<Tensor, Tensor>> build) => Builders.AddOrUpdate(model, build);

    /// <summary>Whether <paramref name="model"/> has a registered way to build its float64 twin.</summary>
    /// <param name="model">The model in question.</param>
    public static bool IsRegistered(nn.Module<Tensor, Tensor> model) => Builders.TryGetValue(model, out _);

    internal static Func<nn.Module<Tensor, Tensor>>? BuilderOf(nn.Module<Tensor, Tensor> model) => Builders.TryGetValue(model, out var build) ? build : null;
}

/// <summary>A float64 instance of a model's architecture that profiles with the model's weights (copied in by <see cref="Synchronise"/>), by the batched engine where it handles the model (in float64 2-3x faster than the loop), else by the loop.</summary>
internal sealed class Float64Twin(nn.Module<Tensor, Tensor> model, ProfileLayout layout, Func<nn.Module<Tensor, Tensor>> build) : IDisposable
{
    nn.Module<Tensor, Tensor>? twin;
    BatchedEngine? batched;
    LoopEngine? loop;
    bool current;

    /// <summary>The twin of <paramref name="model"/> when one can be built, else null.</summary>
    public static Float64Twin? For(nn.Module<Tensor, Tensor> model, ProfileLayout layout) =>
        ExactReference.BuilderOf(model) is { } build ? new Float64Twin(model, layout, build) : null;

    /// <summary>Marks the twin's weights stale: the next <see cref="Profile"/> copies the model's in again (call whenever the model may have changed).</summary>
    public void Invalidate() => current = false;

    /// <summary>Float64 profiles [n, F] of <paramref name="images"/> with <paramref name="labels"/>, on the model's device.</summary>
    public Tensor Profile(Tensor images, Tensor labels)
    {
        if (!current) Synchronise();
        var inputs = images.to(ScalarType.Float64);
        return batched is not null ? batched.Profile(inputs, labels) : loop!.Profile(inputs, labels);
    }

    /// <summary>Copies the model's current weights and buffers into the twin (float64, eval mode).</summary>
    public nn.Module<Tensor, Tensor> Synchronise()
    {
        if (twin is null)
        {
            twin = Runtime.GlobalRandom.Preserving(build);
            twin.to(ScalarType.Float64).to(model.parameters().First().device);
            batched = BatchedEngine.TryCreate(twin, layout, out _);
            loop = batched is null ? new LoopEngine(twin, layout) : null;
        }
        var target = twin.state_dict();
        using (no_grad())
        {
            foreach (var (name, value) in model.state_dict())
            {
                if (!target.TryGetValue(name, out var destination) || !destination.shape.SequenceEqual(value.shape))
                    throw new InvalidOperationException($"The float64 twin of this model has no '{name}' of shape [{string.Join(", ", value.shape)}]: the builder given to ExactReference.Register builds another architecture.");
                destination.copy_(value);
            }
        }
        twin.eval();
        current = true;
        return twin;
    }

    public void Dispose() => twin?.Dispose();
}
