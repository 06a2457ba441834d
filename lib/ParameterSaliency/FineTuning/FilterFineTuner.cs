using TorchSharp;
using ParameterSaliency.Data;
using ParameterSaliency.Evaluation;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

namespace ParameterSaliency.FineTuning;

/// <summary>
/// One SGD step (no momentum, no weight decay) of L(f(x), y) on one sample, changing ONLY the weights of
/// the chosen units: a filter's row weight[c, :, :, :] (SPEC §5), a neuron's row of its 2-D weight, a head's
/// q, k, v rows of in_proj_weight and its columns of out_proj.weight (SPEC §8); the model is evaluated and
/// then restored bit for bit, so every trial starts from the same weights. The model stays in eval mode, so
/// BatchNorm statistics never move either.
/// </summary>
public sealed class FilterFineTuner
{
    readonly nn.Module<Tensor, Tensor> model;
    readonly Tensor[] parameters;
    readonly ProfileLayout layout;

    /// <summary>Prepares steps on <paramref name="model"/>'s units of <paramref name="aggregation"/>.</summary>
    /// <param name="model">Classifier whose units the steps change; its weights are restored after each step.</param>
    /// <param name="aggregation">Which units: filters (the paper's, and the default), neurons or heads.</param>
    public FilterFineTuner(nn.Module<Tensor, Tensor> model, Aggregation aggregation = Aggregation.FilterWise)
    {
        Runtime.NativeTorch.EnsureLoaded();
        if (aggregation is not (Aggregation.FilterWise or Aggregation.NeuronWise or Aggregation.HeadWise))
            throw new ArgumentException($"Fine-tuning changes units (filters, neurons or heads), not {aggregation} entries.", nameof(aggregation));
        this.model = model;
        layout = ProfileLayout.For(model, aggregation);
        parameters = model.parameters().ToArray();
    }

    /// <summary>Number of units (filters F, neurons or heads) a step can choose from.</summary>
    public int FilterCount => layout.Length;

    /// <summary>
    /// Takes the step for image <paramref name="sample"/> of <paramref name="data"/> on <paramref name="filters"/>
    /// (profile entries), runs <paramref name="evaluate"/> on the changed model, restores the weights, and
    /// returns what <paramref name="evaluate"/> returned.
    /// </summary>
    /// <typeparam name="T">Type of the result of <paramref name="evaluate"/>.</typeparam>
    /// <param name="data">Data set holding the sample.</param>
    /// <param name="sample">Index in <paramref name="data"/> of the image x whose loss L(f(x), y) drives the step.</param>
    /// <param name="filters">Units to change, as profile entries in [0, <see cref="FilterCount"/>); duplicates count once.</param>
    /// <param name="stepSize">Learning rate of the step: each chosen row becomes θ − stepSize·∂L/∂θ; positive and finite.</param>
    /// <param name="evaluate">Run on the changed model before the weights are restored; its result is returned.</param>
    public T WithStep<T>(ImageDataset data, int sample, IReadOnlyCollection<int> filters, double stepSize, Func<T> evaluate)
    {
        if (sample < 0 || sample >= data.Count) throw new ArgumentOutOfRangeException(nameof(sample), sample, $"{data.Name} has images [0, {data.Count}).");
        if (filters.Count == 0) throw new ArgumentException("Choose at least one unit.");
        if (filters.Any(f => f < 0 || f >= layout.Length)) throw new ArgumentOutOfRangeException(nameof(filters), $"Units are profile entries [0, {layout.Length}).");
        if (!(stepSize > 0) || !double.IsFinite(stepSize)) throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, "A positive, finite step size.");
        Runtime.GradientMode.EnsureEnabled("A fine-tuning step");
        using var mode = new Runtime.EvalMode(model);
        var device = parameters[0].device;
        var slices = filters.Distinct().SelectMany(layout.WeightsOf).GroupBy(w => (w.ParameterIndex, w.Dimension))
            .Select(g => (Tensor: parameters[g.Key.ParameterIndex], g.Key.Dimension, Indices: g.Select(w => w.Index).Distinct().Order().ToArray())).ToArray();
        var saved = new List<(Tensor Weight, long Dimension, Tensor Indices, Tensor Original)>();
        try
        {
            using (var scope = NewDisposeScope())
            {
                var logits = model.call(data.Images.narrow(0, sample, 1).to(parameters[0].dtype).to(device));
                var loss = nn.functional.cross_entropy(logits, data.Labels.narrow(0, sample, 1).to(device));
                var gradients = autograd.grad([loss], slices.Select(s => s.Tensor).ToArray(), allow_unused: true);
                using var noGrad = no_grad();
                for (int t = 0; t < slices.Length; t++)
                {
                    var (weight, dimension, indexArray) = slices[t];
                    var indices = tensor(indexArray, device: device);
                    var original = weight.index_select(dimension, indices);
                    var gradient = Saliency.LoopEngine.GradientOrZero(gradients[t], weight).index_select(dimension, indices);
                    saved.Add((weight, dimension, indices.MoveToOuterDisposeScope(), original.MoveToOuterDisposeScope()));
                    using Scalar step = stepSize;
                    weight.index_copy_(dimension, indices, original - gradient * step);
                }
            }
            return evaluate();
        }
        finally
        {
            using (no_grad())
                foreach (var (weight, dimension, indices, original) in saved)
                {
                    weight.index_copy_(dimension, indices, original);
                    indices.Dispose();
                    original.Dispose();
                }
        }
    }
}
