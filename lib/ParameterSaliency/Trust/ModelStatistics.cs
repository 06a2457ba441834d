using System.Runtime.CompilerServices;
using ParameterSaliency.Data;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

namespace ParameterSaliency.Trust;

/// <summary>
/// μ and σ for each model the trust tests explain (SPEC §9: never mix models): the trained model's own statistics, and for
/// any other model (randomised, relabelled) a pass over the same reference images, computed once per model instance.
/// </summary>
public sealed class ModelStatistics
{
    readonly nn.Module<Tensor, Tensor> trainedModel;
    readonly SaliencyStatistics trained;
    readonly ImageDataset reference;
    readonly int[] referenceIndices;
    readonly ConditionalWeakTable<nn.Module<Tensor, Tensor>, SaliencyStatistics> estimated = new();

    /// <summary>Statistics for <paramref name="trainedModel"/> and models of its architecture.</summary>
    /// <param name="trainedModel">The trained model; <paramref name="trainedStatistics"/> must belong to it.</param>
    /// <param name="trainedStatistics">Its μ and σ; their aggregation is used for every model.</param>
    /// <param name="reference">Images whose profiles estimate μ and σ of the other models.</param>
    /// <param name="referenceIndices">Which images of <paramref name="reference"/> (at least 2).</param>
    public ModelStatistics(nn.Module<Tensor, Tensor> trainedModel, SaliencyStatistics trainedStatistics, ImageDataset reference, IReadOnlyList<int> referenceIndices)
    {
        if (referenceIndices.Count < 2) throw new ArgumentException("μ and σ need at least 2 reference images.", nameof(referenceIndices));
        trainedStatistics.EnsureBelongsTo(new SaliencyProfiler(trainedModel, new ProfilerOptions { Aggregation = trainedStatistics.Aggregation }));
        this.trainedModel = trainedModel;
        trained = trainedStatistics;
        this.reference = reference;
        this.referenceIndices = referenceIndices.ToArray();
    }

    /// <summary>The aggregation of every profile: the trained statistics'.</summary>
    public Aggregation Aggregation => trained.Aggregation;

    /// <summary>Reference images each other model's μ and σ are estimated on.</summary>
    public int ReferenceImages => referenceIndices.Length;

    /// <summary>Receives each pass over the reference images; null for none.</summary>
    public IProgress<PassProgress>? Progress { get; set; }

    /// <summary>μ and σ of <paramref name="model"/>: the trained statistics for the trained model, otherwise estimated (once) on the reference images.</summary>
    /// <param name="model">The trained model or another of its architecture.</param>
    public SaliencyStatistics For(nn.Module<Tensor, Tensor> model) =>
        ReferenceEquals(model, trainedModel) ? trained
        : estimated.GetValue(model, m => SaliencyStatistics.Compute(new SaliencyProfiler(m, new ProfilerOptions { Aggregation = Aggregation }), reference, referenceIndices, progress: Progress));
}
