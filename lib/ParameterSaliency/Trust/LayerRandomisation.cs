using TorchSharp;
using ParameterSaliency.Saliency;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ParameterSaliency.Trust;

/// <summary>
/// Model-parameter randomisation (Adebayo et al. 2018, SPEC §9): copies of a trained model with some of its layers
/// re-initialised as a freshly built model of its architecture is, from a fixed seed. The layers are the model's direct
/// children, a <c>Sequential</c> child opened into its items and a child holding a <c>Sequential</c> opened the same way
/// (a ResNet: conv1, bn1, layer1.0, …, layer4.1, fc; a ViT: its class token, conv_proj, the encoder's position embedding,
/// each encoder block, encoder.ln, heads.head), a module's own parameters forming a layer of their own; parameters and buffers of a
/// randomised layer are the fresh model's, every other tensor is the trained model's, bit for bit. Dispose it to free
/// the fresh weights it keeps (the copies it returns are disposed by their users).
/// </summary>
public sealed class LayerRandomisation : IDisposable
{
    readonly nn.Module<Tensor, Tensor> trained;
    readonly Func<nn.Module<Tensor, Tensor>> build;
    readonly Dictionary<string, Tensor> initial;

    /// <summary>Prepares randomised copies of <paramref name="model"/>, built by its registered builder (<see cref="ExactReference.Register"/>).</summary>
    /// <param name="model">The trained model; left untouched.</param>
    /// <param name="seed">Seed of the fresh initialisation every randomised layer takes.</param>
    public LayerRandomisation(nn.Module<Tensor, Tensor> model, int seed = 0)
    {
        trained = model;
        build = ExactReference.BuilderOf(model) ?? throw new ArgumentException(
            "Randomisation rebuilds the model's architecture: register a builder with ExactReference.Register (models built by this library and read by ModelFile.Load have one).", nameof(model));
        Seed = seed;
        using var fresh = Runtime.GlobalRandom.Seeded(seed, build);
        var freshState = StateOf(fresh).ToArray();
        var trainedState = StateOf(model).ToDictionary(t => t.Name, t => t.Tensor);
        static string Shapes(IEnumerable<(string Name, Tensor Tensor)> state) => string.Join(";", state.Select(t => $"{t.Name}[{string.Join(",", t.Tensor.shape)}]"));
        if (Shapes(StateOf(model)) != Shapes(freshState)) throw new ArgumentException("The registered builder makes another architecture: its parameter names or shapes differ from the model's.", nameof(model));
        using (NewDisposeScope())
            if (fresh.named_parameters().All(p => p.parameter.equal(trainedState[p.name]).all().item<bool>()))
                throw new ArgumentException("The registered builder returns the trained weights (e.g. it reads the model's file again): randomisation needs a builder of freshly initialised weights; register one with ExactReference.Register.", nameof(model));
        initial = freshState.ToDictionary(t => t.Name, t => t.Tensor.detach().clone());
        Layers = LayersOf(model);
    }

    /// <summary>Seed of the fresh initialisation.</summary>
    public int Seed { get; }

    /// <summary>The layers, from the input to the output; cascading randomises them from the last.</summary>
    public IReadOnlyList<string> Layers { get; }

    /// <summary>The last <paramref name="step"/> layers randomised (cascading; 0 is an unrandomised copy); dispose it.</summary>
    /// <param name="step">How many layers from the top, in [0, <see cref="Layers"/>.Count].</param>
    public nn.Module<Tensor, Tensor> Cascading(int step)
    {
        if (step < 0 || step > Layers.Count) throw new ArgumentOutOfRangeException(nameof(step), step, $"Between 0 and the model's {Layers.Count} layers.");
        return Randomised(Layers.Skip(Layers.Count - step).ToArray());
    }

    /// <summary>Only <paramref name="layer"/> randomised (independent); dispose it.</summary>
    /// <param name="layer">One of <see cref="Layers"/>.</param>
    public nn.Module<Tensor, Tensor> Independent(string layer)
    {
        if (!Layers.Contains(layer)) throw new ArgumentException($"No layer '{layer}'; the layers are {string.Join(", ", Layers)}.", nameof(layer));
        return Randomised([layer]);
    }

    /// <summary>A copy of the trained model with <paramref name="layers"/> re-initialised, in eval mode on the trained model's device.</summary>
    /// <param name="layers">Names from <see cref="Layers"/>.</param>
    public nn.Module<Tensor, Tensor> Randomised(IReadOnlyCollection<string> layers)
    {
        var copy = build();
        var device = trained.parameters().First().device;
        copy.to(trained.parameters().First().dtype).to(device);
        var source = StateOf(trained).ToDictionary(t => t.Name, t => t.Tensor);
        using (no_grad())
            foreach (var (name, tensor) in StateOf(copy))
                tensor.copy_(layers.Any(layer => Owns(layer, name)) ? initial[name] : source[name]);
        copy.eval();
        ExactReference.Register(copy, build);
        return copy;
    }

    /// <summary>Frees the fresh weights.</summary>
    public void Dispose()
    {
        foreach (var tensor in initial.Values) tensor.Dispose();
        initial.Clear();
    }

    /// <summary>Whether the tensor <paramref name="name"/> (a parameter or buffer) belongs to <paramref name="layer"/>.</summary>
    /// <param name="layer">A name from <see cref="Layers"/>.</param>
    /// <param name="name">A parameter or buffer name of the model.</param>
    public static bool Owns(string layer, string name)
    {
        if (!layer.EndsWith(OwnParameters, StringComparison.Ordinal)) return name.StartsWith(layer + ".", StringComparison.Ordinal);
        string prefix = layer[..^OwnParameters.Length]; // "" for the model's own, "encoder." for a child's
        return name.StartsWith(prefix, StringComparison.Ordinal) && !name[prefix.Length..].Contains('.');
    }

    /// <summary>The name of the layer made of a module's own parameters (those of none of its children): alone for the model's, after the module's name and a dot for an opened child's.</summary>
    public const string OwnParameters = "(own parameters)";

    static List<string> LayersOf(nn.Module model)
    {
        var layers = new List<string>();
        void Open(nn.Module module, string prefix)
        {
            if (module.named_parameters(recurse: false).Any()) layers.Add(prefix + OwnParameters);
            foreach (var (name, child) in module.named_children())
            {
                if (!child.parameters().Any()) continue;
                if (child is Sequential sequence)
                    layers.AddRange(sequence.named_children().Where(item => item.module.parameters().Any()).Select(item => $"{prefix}{name}.{item.name}"));
                else if (child.named_children().Any(c => c.module is Sequential)) Open(child, $"{prefix}{name}.");
                else layers.Add(prefix + name);
            }
        }
        Open(model, "");
        return layers;
    }

    static IEnumerable<(string Name, Tensor Tensor)> StateOf(nn.Module model) =>
        model.named_parameters().Select(p => (p.name, p.parameter as Tensor)).Concat(model.named_buffers().Select(b => (b.name, b.buffer)));
}
