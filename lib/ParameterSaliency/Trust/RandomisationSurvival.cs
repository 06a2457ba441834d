using System.Globalization;
using ParameterSaliency.Data;
using static TorchSharp.torch;

namespace ParameterSaliency.Trust;

/// <summary>
/// One unit of a finding in saliency space (a filter a hypothesis test discovered, a failure cluster's over-represented
/// filter) under the trained model and under the fully randomised one.
/// </summary>
/// <param name="Index">The unit's entry in the profile.</param>
/// <param name="Name">Its name, e.g. <c>layer4.1.conv2[12]</c>.</param>
/// <param name="Trained">Mean ŝ over group A minus mean ŝ over group B, trained model (its own μ, σ).</param>
/// <param name="Randomised">The same with every layer randomised (μ, σ estimated again for that model).</param>
/// <param name="DependsOnWeights">True when the difference falls below half its trained size (or changes sign) with random weights: the finding is the model's, not the images'.</param>
public sealed record UnitUnderRandomisation(int Index, string Name, double Trained, double Randomised, bool DependsOnWeights);

/// <summary>
/// Does a finding in saliency space survive the model-randomisation test (SPEC §9)? A difference in ŝ between two groups of
/// images that a model with random weights shows just as well comes from the images (their brightness, their size), not
/// from what the model learnt. Used by <see cref="Hypotheses.SaliencyHypothesis.CheckRandomisation"/> and the failure atlas.
/// </summary>
/// <param name="Units">Each unit checked.</param>
/// <param name="GroupA">Images in group A.</param>
/// <param name="GroupB">Images in group B.</param>
/// <param name="Seed">Seed of the randomised layers.</param>
public sealed record RandomisationSurvival(IReadOnlyList<UnitUnderRandomisation> Units, int GroupA, int GroupB, int Seed)
{
    /// <summary>Units whose difference depends on the weights.</summary>
    public int Surviving => Units.Count(u => u.DependsOnWeights);

    /// <summary>One line: how many units are the model's.</summary>
    public string Summary => string.Create(CultureInfo.InvariantCulture,
        $"{Surviving} of {Units.Count} units survive randomisation (their difference in ŝ between {GroupA} and {GroupB} images falls below half with every layer random, seed {Seed})");

    /// <summary>
    /// Checks <paramref name="units"/>: mean ŝ over <paramref name="groupA"/> minus mean over <paramref name="groupB"/> (true
    /// labels), by <paramref name="model"/> and by a copy with every layer randomised (<see cref="LayerRandomisation"/>).
    /// </summary>
    /// <param name="model">The trained model.</param>
    /// <param name="muSigma">μ and σ of the trained model and, estimated on its reference images, of the randomised one.</param>
    /// <param name="data">Data set holding both groups.</param>
    /// <param name="groupA">Indices of group A (e.g. a cluster, or the images a hypothesis is about).</param>
    /// <param name="groupB">Indices of group B (e.g. all mistakes, or the comparison images); may overlap group A.</param>
    /// <param name="units">The units to check.</param>
    /// <param name="seed">Seed of the randomised layers.</param>
    public static RandomisationSurvival Check(nn.Module<Tensor, Tensor> model, ModelStatistics muSigma, ImageDataset data, IReadOnlyList<int> groupA, IReadOnlyList<int> groupB,
        IReadOnlyList<int> units, int seed = 0) => CheckAll(model, muSigma, data, [(groupA, groupB, units)], seed)[0];

    /// <summary>
    /// <see cref="Check"/> for several findings at once (the clusters of an atlas): one randomised model, its μ and σ
    /// estimated once, and each image profiled once per model.
    /// </summary>
    /// <param name="model">The trained model.</param>
    /// <param name="muSigma">μ and σ of the trained model and, estimated on its reference images, of the randomised one.</param>
    /// <param name="data">Data set holding the groups.</param>
    /// <param name="findings">Per finding: group A, group B and the units.</param>
    /// <param name="seed">Seed of the randomised layers.</param>
    public static IReadOnlyList<RandomisationSurvival> CheckAll(nn.Module<Tensor, Tensor> model, ModelStatistics muSigma, ImageDataset data,
        IReadOnlyList<(IReadOnlyList<int> GroupA, IReadOnlyList<int> GroupB, IReadOnlyList<int> Units)> findings, int seed = 0)
    {
        var names = muSigma.For(model).EntryNames;
        foreach (var (groupA, groupB, units) in findings)
        {
            if (groupA.Count == 0 || groupB.Count == 0) throw new ArgumentException("Both groups of a finding need images.");
            if (units.Count == 0) throw new ArgumentException("A finding without units to check.");
            if (units.Any(u => u < 0 || u >= names.Count)) throw new ArgumentOutOfRangeException(nameof(findings), $"Units lie in [0, {names.Count}).");
        }
        int[] images = findings.SelectMany(f => f.GroupA.Concat(f.GroupB)).Distinct().Order().ToArray();
        var method = new ProfileMethod(muSigma);
        // Per finding, per unit: mean ŝ over group A minus mean ŝ over group B, each image profiled once per model.
        double[][] Differences(nn.Module<Tensor, Tensor> explained)
        {
            var profiles = method.Explain(explained, data, images);
            var row = images.Select((image, r) => (image, r)).ToDictionary(t => t.image, t => t.r);
            double Mean(IReadOnlyList<int> group, int unit) => group.Average(i => (double)profiles[row[i]].Values[unit]);
            return findings.Select(f => f.Units.Select(u => Mean(f.GroupA, u) - Mean(f.GroupB, u)).ToArray()).ToArray();
        }
        using var randomisation = new LayerRandomisation(model, seed);
        double[][] trained = Differences(model);
        using var randomModel = randomisation.Cascading(randomisation.Layers.Count);
        double[][] randomised = Differences(randomModel);
        return findings.Select((f, n) => new RandomisationSurvival(f.Units.Select((u, i) => new UnitUnderRandomisation(u, names[u], trained[n][i], randomised[n][i],
            Math.Sign(randomised[n][i]) != Math.Sign(trained[n][i]) || Math.Abs(randomised[n][i]) < Math.Abs(trained[n][i]) / 2)).ToArray(), f.GroupA.Count, f.GroupB.Count, seed)).ToArray();
    }
}
