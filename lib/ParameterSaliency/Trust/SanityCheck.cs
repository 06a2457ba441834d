using ParameterSaliency.Data;
using ParameterSaliency.Evaluation;
using ParameterSaliency.Experiments;
using ParameterSaliency.InputSpace;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

namespace ParameterSaliency.Trust;

/// <summary>
/// The trust tests of SPEC §9 on one model: model-parameter randomisation (cascading, independent, eMPRT), data
/// randomisation (with a model trained on permuted labels), random logit, deletion and insertion, and localisation on the
/// planted cue (with the model trained with it), for ŝ, the paper's boosted heatmap and the baselines, each beside its
/// random control. Construct with the model and its statistics, call <see cref="Run"/>, get a <see cref="SanityReport"/>.
/// <example>
/// <code>
/// var check = new SanityCheck(model, statistics, test, new SanityOptions { Images = 16 }) { Relabelled = permutedModel };
/// var report = check.Run(progress);   // report.Verdicts, report.Measurements.Rows
/// </code>
/// </example>
/// </summary>
public sealed class SanityCheck
{
    readonly nn.Module<Tensor, Tensor> model;
    readonly SaliencyStatistics statistics;
    readonly ImageDataset test;

    /// <summary>Prepares the tests of <paramref name="model"/> on <paramref name="test"/>.</summary>
    /// <param name="model">The trained classifier; its architecture must be rebuildable (<see cref="ExactReference.Register"/>).</param>
    /// <param name="statistics">μ and σ of its profiles (they must belong to it); their aggregation is used throughout.</param>
    /// <param name="test">The test split: its first mistakes are explained, its first images estimate μ and σ of the randomised and relabelled models.</param>
    /// <param name="options">How much to examine; null for the defaults.</param>
    public SanityCheck(nn.Module<Tensor, Tensor> model, SaliencyStatistics statistics, ImageDataset test, SanityOptions? options = null)
    {
        Options = options ?? new SanityOptions();
        Options.Validate();
        if (test.Count < Options.ReferenceImages) throw new ArgumentException($"{test.Name} has {test.Count} images, fewer than the {Options.ReferenceImages} reference images asked for.");
        this.model = model;
        this.statistics = statistics;
        this.test = test;
    }

    /// <summary>The options in force.</summary>
    public SanityOptions Options { get; }

    /// <summary>The same architecture trained on permuted labels (<c>saliency train --permute-labels</c>); null skips data randomisation.</summary>
    public nn.Module<Tensor, Tensor>? Relabelled { get; init; }

    /// <summary>The model trained with the planted cue, its statistics and the cue; null skips localisation.</summary>
    public (nn.Module<Tensor, Tensor> Model, SaliencyStatistics Statistics, PlantedCue Cue)? CueModel { get; init; }

    /// <summary>
    /// The methods under test for a model whose μ and σ come from <paramref name="muSigma"/>: ŝ and a random profile, the
    /// paper's boosted heatmap (top-10 filters, and random 10 as its control), input gradient, Grad-CAM, SmoothGrad of the
    /// input gradient, and a random heatmap.
    /// </summary>
    /// <param name="muSigma">μ and σ for each model explained.</param>
    /// <param name="units">Entries of a profile (the random profile's length).</param>
    /// <param name="seed">Seed of the random controls.</param>
    public static IReadOnlyList<ExplanationMethod> MethodsFor(ModelStatistics muSigma, int units, int seed = 0) =>
    [
        new ProfileMethod(muSigma),
        new RandomControlMethod(units, seed),
        new InputExplainerMethod("boosted heatmap, top-10 (paper)", m => new InputSpaceSaliency(m, muSigma.For(m))),
        new InputExplainerMethod("boosted heatmap, random 10", m => new InputSpaceSaliency(m, muSigma.For(m), new HeatmapOptions { Filters = BoostedFilters.Random, RandomSeed = seed })),
        new InputExplainerMethod("input gradient", m => new InputGradient(m)),
        new InputExplainerMethod("Grad-CAM", m => new GradCam(m)),
        new InputExplainerMethod("SmoothGrad", m => new SmoothGrad(new InputGradient(m), seed: seed)),
        new RandomControlMethod(seed: seed),
    ];

    /// <summary>Runs every test the inputs allow; <paramref name="progress"/> receives a line per stage.</summary>
    /// <param name="progress">Receives what is being done; null for nothing.</param>
    public SanityReport Run(IProgress<string>? progress = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var reference = Enumerable.Range(0, Options.ReferenceImages).ToArray();
        var muSigma = new ModelStatistics(model, statistics, test, reference);
        int units = statistics.EntryNames.Count;
        var methods = MethodsFor(muSigma, units, Options.Seed);
        var measurements = new TrustMeasurements(Options.Seed);
        int[] images = Evaluator.FirstMistakes(model, test, Options.Images);
        if (images.Length < 2) throw new ArgumentException($"The model makes {images.Length} mistake(s) on {test.Name}: the tests explain at least 2.");
        void Say(string line) => progress?.Report($"[{clock.Elapsed:mm\\:ss}] {line}");

        Say($"{images.Length} mistakes explained by {methods.Count} methods; μ, σ of every other model from the first {reference.Length} test images");
        using var randomisation = new LayerRandomisation(model, Options.Seed);
        var grid = new ModelRandomisationTest(randomisation, methods).Run(model, test, images, measurements, Options.Independent, new Progress<string>(Say));
        Say($"saliency neighbours (§3.2) of the mistakes among the first {Options.NeighbourImages} images, trained and fully randomised");
        new NeighbourRandomisationTest(randomisation, muSigma).Run(model, methods[0], test, Math.Min(Options.NeighbourImages, test.Count), measurements);
        if (Relabelled is not null)
        {
            Say("data randomisation: the model trained on permuted labels");
            new DataRandomisationTest(methods).Run(model, Relabelled, test, images, measurements);
        }
        Say("random logit");
        new RandomLogitTest(methods, Options.Seed).Run(model, test, images, measurements);
        Say("deletion and insertion");
        new DeletionInsertionTest(methods, Options.DeletionSteps).Run(model, test, images, measurements);
        (int Turned, int Explained)? cue = null;
        if (CueModel is var (cueModel, cueStatistics, plantedCue))
        {
            Say("localisation on the planted cue");
            var cueMethods = MethodsFor(new ModelStatistics(cueModel, cueStatistics, test, reference), cueStatistics.EntryNames.Count, Options.Seed);
            cue = new CueLocalisationTest(cueMethods, plantedCue).Run(cueModel, test, Options.CueImages, measurements);
        }
        Say("done");
        using var first = test.Images[images[0]];
        using var pixels = test.Normalization.Invert(first).cpu();
        return new SanityReport(methods, randomisation.Layers, images, pixels.reshape(-1).data<float>().ToArray(), test.ImageShape, grid, measurements,
            SanityVerdict.Judge(measurements, methods, randomisation.Layers.Count), cue, Options, clock.Elapsed);
    }
}
