using ParameterSaliency.Data;
using ParameterSaliency.Models;

namespace ParameterSaliency.Tests;

/// <summary>
/// The Fashion-MNIST test split, loaded once for the whole test assembly and never disposed: tests only
/// read it (views, subsets and copies are theirs). Loading it checks and decompresses 10,000 images.
/// </summary>
internal static class SharedData
{
    static readonly Lazy<ImageDataset> Test = new(() => FashionMnist.Load(DataSplit.Test));

    /// <summary>The test split; do not dispose.</summary>
    public static ImageDataset TestSplit => Test.Value;

    /// <summary>
    /// How the setting's model classifies its data: the classification the notebooks cache in artifacts/cache
    /// (<see cref="Evaluation.EvaluationCache"/>, whose own tests hold it against each image's argmax), computed now if no
    /// notebook or test has yet. One 10,000-image classification per model and run instead of one per test.
    /// </summary>
    public static Evaluation.EvaluationReport CachedEvaluation(Notebooks.WorkbookSetting setting)
    {
        var report = setting.Evaluation();
        setting.Model.Dispose();
        setting.Data.Dispose();
        return report;
    }
}

/// <summary>The committed default model, loaded once per test class (xunit class fixture: the class's tests run one at a time). Tests must not change it.</summary>
public sealed class DefaultModelFixture : IDisposable
{
    readonly SavedModel saved = ModelFile.Load(WorkbookPaths.DefaultModel, TorchSharp.torch.CPU);

    /// <summary>The model, in eval mode, float32.</summary>
    public ResNet Model => (ResNet)saved.Model;

    public void Dispose() => saved.Dispose();
}
