using ParameterSaliency.Data;
using static TorchSharp.torch;

namespace ParameterSaliency.Trust;

/// <summary>
/// Random logit (Sixt et al. 2020, SPEC §9): each image explained for its true class y and for another class drawn
/// uniformly from the rest (seeded by <paramref name="seed"/> and the image's index); for ŝ the profile s(x, y') with the
/// other label. Explanations that stay alike ignore the class they are asked about.
/// </summary>
/// <param name="methods">The methods under test.</param>
/// <param name="seed">Seed of the other classes.</param>
public sealed class RandomLogitTest(IReadOnlyList<ExplanationMethod> methods, int seed = 0)
{
    /// <summary>Test name in <c>sanity.csv</c>.</summary>
    public const string Name = "random_logit";

    /// <summary>The other class of image <paramref name="index"/> with label <paramref name="label"/> among <paramref name="classes"/>.</summary>
    /// <param name="index">The image's index.</param>
    /// <param name="label">Its true label.</param>
    /// <param name="classes">How many classes, at least 2.</param>
    public int OtherClass(int index, int label, int classes)
    {
        int drawn = new Random(unchecked(seed * 1_000_003 + index)).Next(classes - 1);
        return drawn >= label ? drawn + 1 : drawn;
    }

    /// <summary>Compares each method's explanation for the true class with the one for another class.</summary>
    /// <param name="model">The trained model.</param>
    /// <param name="data">Data set holding the images.</param>
    /// <param name="indices">Images explained.</param>
    /// <param name="measurements">Where the rows go.</param>
    public void Run(nn.Module<Tensor, Tensor> model, ImageDataset data, IReadOnlyList<int> indices, TrustMeasurements measurements)
    {
        if (data.ClassNames.Count < 2) throw new ArgumentException("Random logit needs at least 2 classes.");
        var (_, height, width) = data.ImageShape;
        int[] truth = indices.Select(i => data.LabelArray[i]).ToArray();
        int[] other = indices.Select((i, n) => OtherClass(i, truth[n], data.ClassNames.Count)).ToArray();
        foreach (var method in methods)
            ExplanationSimilarity.Record(measurements, Name, method, 0, indices, method.Explain(model, data, indices, truth), method.Explain(model, data, indices, other), height, width);
    }
}
