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
    readonly ConditionalWeakTable<nn.Module<Tensor, Tensor>, SaliencyProfiler> profilers = new();

    /// <summary>Statistics for <paramref name="trainedModel"/> and models of its architecture.</summary>
    /// <param name="trainedModel">The trained model; <paramref name="trainedStatistics"/> must belong to it.</param>
    /// <param name="trainedStatistics">Its μ and σ; their aggregation is used for every model.</param>
    /// <param name="reference">Images whose profiles estimate μ and σ of the other models.</param>
    /// <param name="referenceIndices">Which images of <paramref name="reference"/> (at least 2).</param>
    public ModelStatistics(nn.Module<Tensor, Tensor> trainedModel, SaliencyStatistics trainedStatistics, ImageDataset reference, IReadOnlyList<int> referenceIndices)
    {
        if (referenceIndices.Count < 2) throw new ArgumentException("μ and σ need at least 2 reference images.", nameof(referenceIndices));
        this.trainedModel = trainedModel;
        trained = trainedStatistics;
        trainedStatistics.EnsureBelongsTo(ProfilerFor(trainedModel));
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
        : estimated.GetValue(model, m => SaliencyStatistics.Compute(ProfilerFor(m), reference, referenceIndices, progress: Progress));

    /// <summary>
    /// The one profiler of <paramref name="model"/> (the statistics' aggregation, automatic engine), made once per model: its
    /// engine choice and float64 twin serve the estimate of μ and σ, ŝ and the saliency index alike.
    /// </summary>
    /// <param name="model">The trained model or another of its architecture.</param>
    public SaliencyProfiler ProfilerFor(nn.Module<Tensor, Tensor> model) =>
        profilers.GetValue(model, m => new SaliencyProfiler(m, new ProfilerOptions { Aggregation = Aggregation }));
}
