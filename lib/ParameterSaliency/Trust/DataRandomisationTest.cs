using ParameterSaliency.Data;
using static TorchSharp.torch;

namespace ParameterSaliency.Trust;

/// <summary>
/// Data randomisation (Adebayo et al. 2018, SPEC §9): the explanations of a model of the same architecture trained on
/// permuted labels until it fits them (<c>saliency train --permute-labels</c>) against the trained model's, image by image.
/// An explanation that is as similar for a model that learnt nothing about the classes shows the data, not the model.
/// </summary>
/// <param name="methods">The methods under test.</param>
public sealed class DataRandomisationTest(IReadOnlyList<ExplanationMethod> methods)
{
    /// <summary>Test name in <c>sanity.csv</c>.</summary>
    public const string Name = "data_randomisation";

    /// <summary>Compares each method's explanations by <paramref name="trained"/> and by <paramref name="relabelled"/>.</summary>
    /// <param name="trained">The trained model.</param>
    /// <param name="relabelled">The same architecture trained on permuted labels.</param>
    /// <param name="data">Data set holding the images.</param>
    /// <param name="indices">Images explained.</param>
    /// <param name="measurements">Where the rows go.</param>
    public void Run(nn.Module<Tensor, Tensor> trained, nn.Module<Tensor, Tensor> relabelled, ImageDataset data, IReadOnlyList<int> indices, TrustMeasurements measurements)
    {
        var (_, height, width) = data.ImageShape;
        foreach (var method in methods)
            ExplanationSimilarity.Record(measurements, Name, method, 0, indices, method.Explain(trained, data, indices), method.Explain(relabelled, data, indices), height, width);
    }
}
