using System.Runtime.CompilerServices;
using TorchSharp;
using static TorchSharp.torch;

namespace ParameterSaliency.Saliency;

/// <summary>
/// How to build a second instance of a model's architecture, so that the profiles s(x, y) float32 cannot settle
/// (a ReLU input within rounding of zero that carries a gradient, <see cref="SaliencyProfiles.Float64MaskRows"/>) are
/// computed again with the ReLU masks of a float64 forward (the model's current weights, in float64). Models built by this library (every
/// <see cref="Models.ResNet"/>, every model <see cref="Models.ModelFile.Load"/> reads) are registered already;
/// register your own with <see cref="Register"/>. An unregistered model's unsettled rows are kept in float32 and
/// named in <see cref="SaliencyProfiles.UnsettledRows"/>. For small images the same builder gives a float32 replica that
/// profiles every other pass beside the model (<see cref="ProfileLanes"/>).
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

    /// <summary>
    /// The builder registered for <paramref name="model"/>, or null; what it builds outlives the caller's dispose scopes. A
    /// module's parameters held in fields (a Vision Transformer's class token and position embedding) are tensors made in its
    /// constructor, which join the dispose scope in force: built inside a profiling call, they were freed when it ended,
    /// and the next call found the instance without them.
    /// </summary>
    internal static Func<nn.Module<Tensor, Tensor>>? BuilderOf(nn.Module<Tensor, Tensor> model) =>
        Builders.TryGetValue(model, out var build) ? () => OutsideDisposeScopes(build) : null;

    static nn.Module<Tensor, Tensor> OutsideDisposeScopes(Func<nn.Module<Tensor, Tensor>> build)
    {
        using var scope = NewDisposeScope();
        var instance = build();
        scope.Detach(scope.DisposablesView.ToArray()); // the constructor's other temporaries are left to the garbage collector
        return instance;
    }

    /// <summary>A new instance of <paramref name="model"/>'s architecture by <paramref name="build"/> (its initialisation's draws leave the default generator where it was), in <paramref name="dtype"/> on the model's device.</summary>
    internal static nn.Module<Tensor, Tensor> NewInstance(nn.Module<Tensor, Tensor> model, Func<nn.Module<Tensor, Tensor>> build, ScalarType dtype)
    {
        var instance = Runtime.GlobalRandom.Preserving(build);
        instance.to(dtype).to(model.parameters().First().device);
        return instance;
    }

    /// <summary>Copies <paramref name="model"/>'s parameters and buffers into <paramref name="instance"/> (converting to its precision), which must have each of them by name and shape (<paramref name="instanceName"/> names it in the error), and puts it in eval mode.</summary>
    internal static void CopyState(nn.Module<Tensor, Tensor> model, nn.Module<Tensor, Tensor> instance, string instanceName)
    {
        var target = instance.state_dict();
        using (no_grad())
        {
            foreach (var (name, value) in model.state_dict())
            {
                if (!target.TryGetValue(name, out var destination) || !destination.shape.SequenceEqual(value.shape))
                    throw new InvalidOperationException($"The {instanceName} of this model has no '{name}' of shape [{string.Join(", ", value.shape)}]: the builder given to ExactReference.Register builds another architecture.");
                destination.copy_(value);
            }
        }
        instance.eval();
    }
}
