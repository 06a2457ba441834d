using ParameterSaliency.Data;
using ParameterSaliency.Evaluation;
using ParameterSaliency.Neighbors;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

namespace ParameterSaliency.Trust;

/// <summary>
/// Do saliency neighbours still share a mistake (paper §3.2) when the model's weights are random? The trained model's
/// mistakes on the first images of the test split are looked up among their 10 nearest neighbours in ŝ space, once with
/// ŝ of the trained model and once with ŝ of the fully randomised model (μ and σ estimated for it), and as the control in
/// pixel space. Metric <c>neighbour_share</c>: per mistake, the share of its neighbours with the same (true, predicted)
/// pair or its reverse; step 0 is the trained model, the last step the fully randomised one.
/// </summary>
/// <param name="randomisation">The randomised copies of the trained model.</param>
/// <param name="muSigma">μ and σ for each model.</param>
public sealed class NeighbourRandomisationTest(LayerRandomisation randomisation, ModelStatistics muSigma)
{
    /// <summary>Test name in <c>sanity.csv</c>.</summary>
    public const string Name = "neighbours";

    /// <summary>The method name of the pixel-space control.</summary>
    public const string PixelControl = "pixel neighbours (control)";

    /// <summary>Measures the share on the first <paramref name="images"/> images of <paramref name="test"/>.</summary>
    /// <param name="trained">The trained model.</param>
    /// <param name="method">The ŝ method whose name the rows carry.</param>
    /// <param name="test">The test split.</param>
    /// <param name="images">How many of its first images form the neighbourhoods (at least 12).</param>
    /// <param name="measurements">Where the rows go.</param>
    public void Run(nn.Module<Tensor, Tensor> trained, ExplanationMethod method, ImageDataset test, int images, TrustMeasurements measurements)
    {
        if (images < 12 || images > test.Count) throw new ArgumentOutOfRangeException(nameof(images), images, $"Between 12 and the {test.Count} images (10 neighbours each).");
        using var subset = test.Subset(Enumerable.Range(0, images).ToArray());
        var report = Evaluator.Evaluate(trained, subset);
        if (report.Misclassified.Count == 0) return;
        using var pixels = SaliencyIndex.Pixels(subset);
        AgreementReport Agreement(nn.Module<Tensor, Tensor> model)
        {
            using var index = SaliencyIndex.Build(muSigma.ProfilerFor(model), muSigma.For(model), subset);
            return NeighborAgreement.Measure(index, pixels, report);
        }
        var before = Agreement(trained);
        using var random = randomisation.Cascading(randomisation.Layers.Count);
        var after = Agreement(random);
        int[] mistakes = before.Rows.Select(r => r.Index).ToArray();
        measurements.Add(Name, method.Name, 0, "neighbour_share", mistakes, before.Rows.Select(r => r.SaliencyShare).ToArray());
        measurements.Add(Name, method.Name, randomisation.Layers.Count, "neighbour_share", mistakes, after.Rows.Select(r => r.SaliencyShare).ToArray());
        measurements.Add(Name, PixelControl, 0, "neighbour_share", mistakes, before.Rows.Select(r => r.PixelShare).ToArray());
    }
}
