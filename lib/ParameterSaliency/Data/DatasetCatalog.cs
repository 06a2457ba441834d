namespace ParameterSaliency.Data;

/// <summary>Resolves data-set names such as <c>fashion-mnist:test</c> used by the command line and notebooks.</summary>
public static class DatasetCatalog
{
    /// <summary>The names <see cref="Load"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["fashion-mnist:test", "fashion-mnist:train"];

    /// <summary>Loads the named data set.</summary>
    public static ImageDataset Load(string name) => name.Trim().ToLowerInvariant() switch
    {
        "fashion-mnist:test" or "fashion-mnist" => FashionMnist.Load(DataSplit.Test),
        "fashion-mnist:train" => FashionMnist.Load(DataSplit.Train),
        _ => throw new ArgumentException($"Unknown data set '{name}'. Known: {string.Join(", ", Names)}."),
    };
}
