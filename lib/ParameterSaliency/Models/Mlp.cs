using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ParameterSaliency.Models;

/// <summary>
/// The smallest model without convolutions: images [N, C, H, W] flattened, then Linear + ReLU layers
/// (<c>layers.0</c>, <c>layers.2</c>, …) and the classifier <c>fc</c>. Profiled neuron-wise (<see cref="Saliency.Aggregation.NeuronWise"/>):
/// one unit per row of every hidden layer's weight.
/// </summary>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    readonly Sequential layers;
    readonly Linear fc;

    /// <summary>Builds an untrained MLP for images of <paramref name="inChannels"/> × <paramref name="imageSize"/>².</summary>
    /// <param name="inChannels">Input channels C.</param>
    /// <param name="imageSize">Image side H = W.</param>
    /// <param name="hidden">Widths of the hidden layers, in order (at least one).</param>
    /// <param name="classes">Classes of the classifier <c>fc</c>.</param>
    public Mlp(int inChannels, int imageSize, IReadOnlyList<int> hidden, int classes) : base("Mlp")
    {
        if (inChannels < 1 || imageSize < 1 || classes < 1 || hidden.Count == 0 || hidden.Any(w => w < 1))
            throw new ArgumentException($"An MLP needs positive channels, image size, classes and at least one hidden width; got {inChannels}, {imageSize}, {classes}, [{string.Join(", ", hidden)}].");
        InChannels = inChannels;
        ImageSize = imageSize;
        Hidden = hidden.ToArray();
        long width = (long)inChannels * imageSize * imageSize;
        var modules = new List<(string, nn.Module<Tensor, Tensor>)>();
        foreach (int next in hidden)
        {
            modules.Add(($"{modules.Count}", nn.Linear(width, next)));
            modules.Add(($"{modules.Count}", nn.ReLU()));
            width = next;
        }
        layers = nn.Sequential(modules);
        fc = nn.Linear(width, classes);
        RegisterComponents();
        Saliency.ExactReference.Register(this, () => new Mlp(inChannels, imageSize, Hidden, classes));
    }

    /// <summary>Input channels C.</summary>
    public int InChannels { get; }
    /// <summary>Image side H = W.</summary>
    public int ImageSize { get; }
    /// <summary>Widths of the hidden layers.</summary>
    public IReadOnlyList<int> Hidden { get; }
    /// <summary>Input features C·H·W of the first layer.</summary>
    public long InFeatures => (long)InChannels * ImageSize * ImageSize;

    /// <summary>Logits [N, classes] of images <paramref name="x"/> [N, C, H, W] with C·H·W = <see cref="InFeatures"/>.</summary>
    /// <param name="x">Images [N, C, H, W], model-ready (normalised).</param>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return fc.call(layers.call(x.flatten(1))).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The MLP whose weights these are: hidden widths from the rows of <c>layers.{2i}.weight</c>, classes from <c>fc.weight</c>,
    /// and C, H from the first layer's columns (C = 1 when they are a square, else 3).
    /// </summary>
    internal static Mlp FromWeights(IReadOnlyDictionary<string, Tensor> weights, string source)
    {
        var hidden = new List<int>();
        long inFeatures = 0;
        for (int i = 0; weights.TryGetValue($"layers.{2 * i}.weight", out var weight); i++)
        {
            if (weight.dim() != 2) throw new InvalidDataException($"{source}: layers.{2 * i}.weight is not 2-D.");
            if (i == 0) inFeatures = weight.shape[1];
            hidden.Add((int)weight.shape[0]);
        }
        if (hidden.Count == 0 || !weights.TryGetValue("fc.weight", out var classifier) || classifier.dim() != 2)
            throw new InvalidDataException($"{source} has no 2-D 'layers.0.weight' and 'fc.weight': not weights of an mlp?");
        int channels = IsSquare(inFeatures) ? 1 : inFeatures % 3 == 0 && IsSquare(inFeatures / 3) ? 3
            : throw new InvalidDataException($"{source}: the first layer takes {inFeatures} features, neither a square image nor three square channels.");
        return new Mlp(channels, (int)Math.Round(Math.Sqrt(inFeatures / channels)), hidden, (int)classifier.shape[0]);
    }

    static bool IsSquare(long n) => n > 0 && (long)Math.Round(Math.Sqrt(n)) is var side && side * side == n;
}
