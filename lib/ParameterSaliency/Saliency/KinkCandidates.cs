namespace ParameterSaliency.Saliency;

/// <summary>One ReLU input a float32 pass may have put on the wrong side of zero: which ReLU call of the forward, which candidate image (<see cref="KinkCandidates.Images"/>), where in that image's tensor, and whether float32 let it through.</summary>
internal readonly record struct KinkEntry(int Call, int Slot, long Offset, bool Open);

/// <summary>
/// What <see cref="ReluKinks.Candidates"/> found in one pass: the images (rows of the pass) with a ReLU input in the rounding
/// band that carries a gradient, every such input (<see cref="Entries"/>), how many ReLU calls the forward made, with
/// the values per image of each (what a float64 forward of the same architecture must make too), and each image's sum of its
/// inputs' gradient shares (<see cref="Shares"/>: about how far a wrong mask could move its row, <see cref="ReluKinks.FlipBudget"/>).
/// </summary>
internal sealed record KinkCandidates(long[] Images, KinkEntry[] Entries, long[] ValuesPerImage, double[] Shares)
{
    /// <summary>No candidates, after a forward of <paramref name="valuesPerImage"/>.Length ReLU calls.</summary>
    public static KinkCandidates None(long[] valuesPerImage) => new([], [], valuesPerImage, []);
}
