using ParameterSaliency.Data;
using ParameterSaliency.Evaluation;
using ParameterSaliency.Neighbors;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

namespace ParameterSaliency.FineTuning;

/// <summary>
/// The paper's §3.3 experiment (Tables 1 and 2): for a misclassified sample, one SGD step on a chosen
/// set of filters, then K = how many of its n saliency neighbours (itself included) are classified
/// correctly after the step and were not before, how many it broke, and ΔA, the change of accuracy on
/// the evaluation set. Every trial starts from the original weights.
/// <code>
/// var experiment = new FineTuningExperiment(model, statistics, index, test);
/// var table1 = experiment.Table1(new[] { 42, 1337, 2024 });   // top, least, random (10 seeds), all
/// </code>
/// </summary>
public sealed class FineTuningExperiment
{
    readonly nn.Module<Tensor, Tensor> model;
    readonly SaliencyProfiler profiler;
    readonly SaliencyStatistics statistics;
    readonly SaliencyIndex index;
    readonly ImageDataset data;
    readonly ImageDataset evaluation;
    readonly FilterFineTuner tuner;
    readonly int[] predictionsBefore;
    readonly int[] evaluationPredictionsBefore;

    /// <summary>
    /// Prepares trials on samples of <paramref name="data"/> (which <paramref name="index"/> indexes);
    /// ΔA is measured on <paramref name="evaluation"/> (default: <paramref name="data"/> itself).
    /// <paramref name="report"/>, an evaluation of <paramref name="data"/> with the current weights, saves
    /// classifying it again.
    /// </summary>
    /// <param name="model">Classifier to fine-tune; its weights are restored after every trial.</param>
    /// <param name="statistics">μ and σ of the model's saliency profiles, for the ŝ that ranks the units (their aggregation chooses filters, neurons or heads); must belong to <paramref name="model"/>.</param>
    /// <param name="index">Saliency index over the images of <paramref name="data"/> (same count and labels), giving each sample's n neighbours.</param>
    /// <param name="data">Data set the samples and their neighbours come from.</param>
    /// <param name="options">k, step sizes, random seeds and n; null uses the defaults of <see cref="FineTuningOptions"/>.</param>
    /// <param name="evaluation">Data set ΔA is measured on; null uses <paramref name="data"/>.</param>
    /// <param name="report">Evaluation of <paramref name="data"/> with the current weights, reused as the predictions before; null classifies it again.</param>
    public FineTuningExperiment(nn.Module<Tensor, Tensor> model, SaliencyStatistics statistics, SaliencyIndex index, ImageDataset data,
        FineTuningOptions? options = null, ImageDataset? evaluation = null, EvaluationReport? report = null)
    {
        this.model = model;
        profiler = new SaliencyProfiler(model, new ProfilerOptions { Aggregation = statistics.Aggregation });
        statistics.EnsureBelongsTo(profiler);
        if (index.Count != data.Count || !index.Labels.SequenceEqual(data.LabelArray))
            throw new ArgumentException($"The index ({index}) does not cover {data.Name}: build it over the same images.");
        this.statistics = statistics;
        this.index = index;
        this.data = data;
        this.evaluation = evaluation ?? data;
        tuner = new FilterFineTuner(model, statistics.Aggregation);
        Options = options ?? new FineTuningOptions();
        Options.Validate(tuner.FilterCount);
        if (report is not null && (report.Dataset != data.Name || !report.Labels.SequenceEqual(data.LabelArray)))
            throw new ArgumentException($"The evaluation report ({report}) is not one of {data.Name}.");
        predictionsBefore = report?.Predictions.ToArray() ?? Evaluator.Predict(model, data.Images).Predictions;
        evaluationPredictionsBefore = ReferenceEquals(this.evaluation, data) ? predictionsBefore : Evaluator.Predict(model, this.evaluation.Images).Predictions;
        AccuracyBefore = Accuracy(evaluationPredictionsBefore, this.evaluation.LabelArray);
    }

    /// <summary>The options in force.</summary>
    public FineTuningOptions Options { get; }
    /// <summary>k, the size of the top, least and random subsets.</summary>
    public int K => Options.KFor(tuner.FilterCount);
    /// <summary>Accuracy on the evaluation set with the original weights.</summary>
    public double AccuracyBefore { get; }
    /// <summary>Class predicted for every image of the data set with the original weights.</summary>
    public IReadOnlyList<int> PredictionsBefore => predictionsBefore;

    /// <summary>One trial: the step on <paramref name="choice"/>'s filters of <paramref name="sample"/> with <paramref name="stepSize"/> (random subsets drawn with <paramref name="seed"/>).</summary>
    /// <param name="sample">Index in the data set of the sample x the step is taken on.</param>
    /// <param name="choice">Which filters the step may change.</param>
    /// <param name="stepSize">Learning rate of the SGD step.</param>
    /// <param name="seed">Seed of the random subset, used by <see cref="FilterChoice.Random"/> only (default 0).</param>
    public FineTuningTrial Trial(int sample, FilterChoice choice, double stepSize, int seed = 0)
    {
        if (sample < 0 || sample >= data.Count) throw new ArgumentOutOfRangeException(nameof(sample), sample, $"{data.Name} has images [0, {data.Count}).");
        int[] filters = Filters(sample, choice, seed);
        int[] neighbors = index.Neighbors(sample, Options.Neighbors).Entries.Select(e => e.Index).ToArray();
        return tuner.WithStep(data, sample, filters, stepSize, () =>
        {
            int[] after = Evaluator.Predict(model, evaluation.Images).Predictions;
            int[] neighborsAfter = ReferenceEquals(evaluation, data) ? neighbors.Select(n => after[n]).ToArray() : PredictSubset(neighbors);
            int corrected = 0, broken = 0;
            for (int i = 0; i < neighbors.Length; i++)
            {
                int label = data.LabelArray[neighbors[i]];
                bool rightBefore = predictionsBefore[neighbors[i]] == label, rightAfter = neighborsAfter[i] == label;
                corrected += rightAfter && !rightBefore ? 1 : 0;
                broken += rightBefore && !rightAfter ? 1 : 0;
            }
            bool sampleFixed = neighborsAfter[Array.IndexOf(neighbors, sample)] == data.LabelArray[sample];
            double accuracyAfter = Accuracy(after, evaluation.LabelArray);
            return new FineTuningTrial(sample, choice, stepSize, seed, filters.Length, corrected, broken, sampleFixed, AccuracyBefore, accuracyAfter);
        });
    }

    /// <summary>The profile entries a choice selects for <paramref name="sample"/>.</summary>
    /// <param name="sample">Index in the data set of the sample whose ŝ ranks the filters.</param>
    /// <param name="choice">Top-k, least-k, k random or all filters.</param>
    /// <param name="seed">Seed of the random draw, used by <see cref="FilterChoice.Random"/> only (default 0).</param>
    public int[] Filters(int sample, FilterChoice choice, int seed = 0)
    {
        if (choice == FilterChoice.All) return Enumerable.Range(0, tuner.FilterCount).ToArray();
        if (choice == FilterChoice.Random) return FilterRanking.Random(tuner.FilterCount, K, seed);
        using var profiles = profiler.Profile(data, [sample]);
        using var z = StandardizedProfiles.Of(profiles, statistics);
        float[] row = z.Values[0].data<float>().ToArray();
        return choice == FilterChoice.TopSalient ? FilterRanking.Top(row, K) : FilterRanking.Least(row, K);
    }

    /// <summary>Table 1: per sample, top-k, least-k, k random (mean ± std over the seeds) with the subset step size, and all filters with theirs.</summary>
    /// <param name="samples">Indices in the data set of the samples, one group of rows each.</param>
    /// <param name="progress">Receives (trials done, trials planned) after each trial; may be null.</param>
    public FineTuningTable Table1(IReadOnlyList<int> samples, IProgress<(int Done, int Total)>? progress = null)
    {
        var plan = samples.SelectMany(s => new[] { (s, FilterChoice.TopSalient, Options.SubsetStepSize, 0), (s, FilterChoice.LeastSalient, Options.SubsetStepSize, 0) }
            .Concat(Enumerable.Range(0, Options.RandomSeeds).Select(seed => (s, FilterChoice.Random, Options.SubsetStepSize, seed)))
            .Append((s, FilterChoice.All, Options.AllStepSize, 0))).ToArray();
        return Run("Table 1", plan, progress);
    }

    /// <summary>Table 2: per sample, all filters at every step size of <see cref="FineTuningOptions.Table2StepSizes"/>.</summary>
    /// <param name="samples">Indices in the data set of the samples, one group of rows each.</param>
    /// <param name="progress">Receives (trials done, trials planned) after each trial; may be null.</param>
    public FineTuningTable Table2(IReadOnlyList<int> samples, IProgress<(int Done, int Total)>? progress = null) =>
        Run("Table 2", samples.SelectMany(s => Options.Table2StepSizes.Select(step => (s, FilterChoice.All, step, 0))).ToArray(), progress);

    /// <summary>
    /// K against the subset step: per sample and step of <see cref="FineTuningOptions.SweepStepSizes"/>, top-k, least-k and
    /// k random (one trial per seed). Answers "are the salient filters the better place for a step?" without betting on one
    /// step size.
    /// </summary>
    /// <param name="samples">Indices in the data set of the samples.</param>
    /// <param name="progress">Receives (trials done, trials planned) after each trial; may be null.</param>
    public StepSweep StepSweep(IReadOnlyList<int> samples, IProgress<(int Done, int Total)>? progress = null) =>
        new(Run("Step sweep", samples.SelectMany(s => Options.SweepStepSizes.SelectMany(step =>
                new[] { (s, FilterChoice.TopSalient, step, 0), (s, FilterChoice.LeastSalient, step, 0) }
                    .Concat(Enumerable.Range(0, Options.RandomSeeds).Select(seed => (s, FilterChoice.Random, step, seed))))).ToArray(), progress));

    FineTuningTable Run(string title, (int Sample, FilterChoice Choice, double Step, int Seed)[] plan, IProgress<(int Done, int Total)>? progress)
    {
        if (plan.Length == 0) throw new ArgumentException("Give at least one sample.");
        var trials = new List<FineTuningTrial>();
        foreach (var (sample, choice, step, seed) in plan)
        {
            trials.Add(Trial(sample, choice, step, seed));
            progress?.Report((trials.Count, plan.Length));
        }
        return new FineTuningTable(title, data.ClassNames, data.LabelArray, predictionsBefore, Options.Neighbors, K, evaluation.Count, trials,
            profiler.Layout.EntryNoun + "s");
    }

    int[] PredictSubset(int[] indices)
    {
        using var subset = data.Subset(indices);
        return Evaluator.Predict(model, subset.Images).Predictions;
    }

    static double Accuracy(int[] predictions, IReadOnlyList<int> labels) => (double)predictions.Where((p, i) => p == labels[i]).Count() / labels.Count;
}

/// <summary>One fine-tuning trial: the step's filters and size, K, how many neighbours it broke, and the accuracy before and after.</summary>
/// <param name="Sample">Index of the sample in the data set.</param>
/// <param name="Choice">Which filters the step changed.</param>
/// <param name="StepSize">Learning rate of the SGD step.</param>
/// <param name="Seed">Seed of the random subset (used by <see cref="FilterChoice.Random"/> only).</param>
/// <param name="FilterCount">Number of filters the step changed.</param>
/// <param name="K">Neighbours (the sample included) correct after the step and wrong before.</param>
/// <param name="Broken">Neighbours correct before the step and wrong after.</param>
/// <param name="SampleCorrected">True when the sample itself is classified correctly after the step.</param>
/// <param name="AccuracyBefore">Accuracy on the evaluation set with the original weights, in [0, 1].</param>
/// <param name="AccuracyAfter">Accuracy on the evaluation set after the step, in [0, 1].</param>
public sealed record FineTuningTrial(int Sample, FilterChoice Choice, double StepSize, int Seed, int FilterCount, int K, int Broken, bool SampleCorrected,
    double AccuracyBefore, double AccuracyAfter)
{
    /// <summary>ΔA in percentage points.</summary>
    public double DeltaAccuracyPoints => 100 * (AccuracyAfter - AccuracyBefore);
}
