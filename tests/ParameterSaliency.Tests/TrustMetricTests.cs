using System.Text.Json;
using ParameterSaliency.InputSpace;
using ParameterSaliency.Trust;

namespace ParameterSaliency.Tests;

/// <summary>The trust tests' metrics (SPEC §9) against hand-worked cases and scikit-image.</summary>
public class TrustMetricTests
{
    [Fact]
    public void SpearmanGivesTiesTheMeanOfTheirRanks()
    {
        Assert.Equal([1, 2.5, 2.5, 4], RankCorrelation.Ranks([10f, 20f, 20f, 30f]));
        Assert.Equal([3, 3, 3, 1], RankCorrelation.Ranks([5f, 5f, 5f, -1f]));
        // Ranks 1, 2.5, 2.5, 4 against 1, 3, 2, 4: deviations (−1.5, 0, 0, 1.5) and (−1.5, 0.5, −0.5, 1.5), so ρ = 4.5 / √(4.5 · 5) = √0.9.
        Assert.Equal(Math.Sqrt(0.9), RankCorrelation.Spearman([1f, 2f, 2f, 3f], [1f, 3f, 2f, 4f]), 12);
        Assert.Equal(-1, RankCorrelation.Spearman([1f, 2f, 3f], [9f, 4f, 1f]), 12);
        Assert.True(double.IsNaN(RankCorrelation.Spearman([1f, 1f, 1f], [1f, 2f, 3f])), "a constant explanation has no ranking");
        // Magnitudes: |−3|, |1|, |2| rank as 3, 1, 2.
        Assert.Equal(1, RankCorrelation.SpearmanOfMagnitudes([-3f, 1f, 2f], [30f, 10f, 20f]), 12);
    }

    [Fact]
    public void SpearmanWithoutTiesIsTheTextbookFormula()
    {
        var random = new Random(3);
        float[] a = Enumerable.Range(0, 50).Select(_ => random.NextSingle()).ToArray(), b = a.Select(v => v + random.NextSingle()).ToArray();
        double[] ra = RankCorrelation.Ranks(a), rb = RankCorrelation.Ranks(b);
        double squared = ra.Zip(rb, (x, y) => (x - y) * (x - y)).Sum();
        Assert.Equal(1 - 6 * squared / (50.0 * (50 * 50 - 1)), RankCorrelation.Spearman(a, b), 12);
    }

    [Fact]
    public void TrapezoidAreaOnTheUnitInterval()
    {
        Assert.Equal(0.5, CurveArea.Trapezoid([0, 1]), 15);
        Assert.Equal(1, CurveArea.Trapezoid([1, 1, 1]), 15);
        // (0.9 + 0.5)/2 + (0.5 + 0.2)/2 + (0.2 + 0.1)/2 over 3 intervals.
        Assert.Equal(0.4, CurveArea.Trapezoid([0.9, 0.5, 0.2, 0.1]), 15);
        // x² at 101 points: the rule's error for a parabola is exactly h²/6 above 1/3.
        double h = 0.01;
        Assert.Equal(1.0 / 3 + h * h / 6, CurveArea.Trapezoid(Enumerable.Range(0, 101).Select(i => i * h * (i * h)).ToArray()), 12);
        Assert.Throws<ArgumentException>(() => CurveArea.Trapezoid([1]));
    }

    static RegionMask Box4x4() => RegionMask.From(new bool[4, 4] { { false, false, false, false }, { false, true, true, false }, { false, true, false, false }, { false, false, false, false } }, "3 pixels");

    [Fact]
    public void PointingGameCountsTiesBothWays()
    {
        var box = Box4x4(); // pixels 5, 6, 9
        float[] map = new float[16];
        map[5] = 2;
        Assert.Equal((true, true), Localisation.PointingGame(map, box));
        map[0] = 2; // a tie, one peak inside and one outside
        Assert.Equal((true, false), Localisation.PointingGame(map, box));
        map[5] = 1;
        Assert.Equal((false, false), Localisation.PointingGame(map, box));
        Assert.Equal((true, false), Localisation.PointingGame(new float[16], box)); // all equal: every pixel a peak
    }

    [Fact]
    public void RelevanceRankAndMassOnASmallMask()
    {
        var box = Box4x4(); // pixels 5, 6, 9 inside
        float[] map = new float[16];
        map[5] = 4; map[0] = 3; map[9] = 2; map[6] = 1; map[15] = -5;
        // The 3 largest: pixels 5, 0, 9; two inside.
        Assert.Equal(2.0 / 3, Localisation.RelevanceRankAccuracy(map, box), 15);
        // Positive mass 4 + 3 + 2 + 1 = 10, inside 4 + 2 + 1 = 7; the negative pixel is left out.
        Assert.Equal(0.7, Localisation.RelevanceMassAccuracy(map, box), 15);
        // Four pixels tied at 1 for 3 places, 3 of them inside: each place is inside with probability 3/4.
        float[] flat = new float[16];
        flat[0] = flat[5] = flat[6] = flat[9] = 1;
        Assert.Equal(0.75, Localisation.RelevanceRankAccuracy(flat, box), 15);
        // One pixel above the tie (inside), then two places among pixels 0, 6 and 9 tied at 1 (two inside): (1 + 2 · 2/3) / 3.
        flat[5] = 2;
        Assert.Equal((1 + 2 * 2.0 / 3) / 3, Localisation.RelevanceRankAccuracy(flat, box), 15);
        Assert.Equal(0, Localisation.RelevanceMassAccuracy(new float[16], box));
    }

    [Fact]
    public void TopCountAndComplementPartitionTheImage()
    {
        float[] map = [3, 1, 2, 2];
        var top = RegionMask.TopCount(map, 2, 2, 2);
        Assert.Equal([true, false, true, false], top.Pixels); // 3, then the first of the tied 2s
        Assert.Equal([false, true, false, true], top.Complement().Pixels);
        Assert.Equal(0, RegionMask.TopCount(map, 2, 2, 0).Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => RegionMask.TopCount(map, 2, 2, 5));
    }

    [Fact]
    public void HistogramEntropyAndEfficientMprt()
    {
        Assert.Equal(Math.Log(2), EfficientMprt.HistogramEntropy([0f, 0f, 1f, 1f]), 12);
        Assert.Equal(0, EfficientMprt.HistogramEntropy([2f, 2f]));
        // 100 values spread one per bin: ln 100.
        Assert.Equal(Math.Log(100), EfficientMprt.HistogramEntropy(Enumerable.Range(0, 100).Select(i => i + 0.5f).ToArray()), 12);
        Assert.Equal((Math.Log(100) - Math.Log(2)) / Math.Log(2), EfficientMprt.Of([0f, 1f], Enumerable.Range(0, 100).Select(i => i + 0.5f).ToArray()), 12);
    }

    [Fact]
    public void TopOverlapAndBootstrapInterval()
    {
        Assert.Equal(0.5, ExplanationSimilarity.TopOverlap([5f, 4f, 3f, 2f], [5f, 0f, 4f, 9f], 2), 15); // {0, 1} against {3, 0}
        var (low, high) = TrustMeasurements.Interval([0.25, 0.25, 0.25], new Random(1));
        Assert.Equal((0.25, 0.25), (low, high));
        var values = Enumerable.Range(0, 200).Select(i => i % 2 == 0 ? 0.0 : 1.0).ToArray();
        (low, high) = TrustMeasurements.Interval(values, new Random(1));
        // The mean 0.5 with standard error 0.5/√200 = 0.035: a 95% interval about ±0.07.
        Assert.InRange(low, 0.5 - 0.1, 0.5 - 0.04);
        Assert.InRange(high, 0.5 + 0.04, 0.5 + 0.1);
    }

    [SkippableFact]
    public void SsimMatchesScikitImage()
    {
        string script = Path.Combine(Workbook.Root, "tests", "reference", "ssim_reference.py");
        var (exitCode, output, error) = Workbook.RunProgram("/usr/bin/python3", $"-c \"import skimage\"");
        Skip.If(exitCode != 0, "python3-skimage is not installed (Debian: apt-get install python3-skimage); .ci/run installs it.");
        (exitCode, output, error) = Workbook.RunProgram("/usr/bin/python3", $"\"{script}\"");
        Assert.True(exitCode == 0, error);
        using var cases = JsonDocument.Parse(output);
        int compared = 0;
        foreach (var c in cases.RootElement.EnumerateArray())
        {
            int height = c.GetProperty("height").GetInt32(), width = c.GetProperty("width").GetInt32();
            double[] first = c.GetProperty("first").EnumerateArray().Select(v => v.GetDouble()).ToArray(), second = c.GetProperty("second").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            if (c.GetProperty("raw").ValueKind == JsonValueKind.Number)
                Assert.Equal(c.GetProperty("raw").GetDouble(), StructuralSimilarity.Compute(first, second, height, width, dataRange: 1), 10);
            // Our maps are float32: scaling them after the cast moves SSIM by float rounding only.
            double normalised = StructuralSimilarity.OfNormalisedMaps(first.Select(v => (float)v).ToArray(), second.Select(v => (float)v).ToArray(), height, width);
            Assert.Equal(c.GetProperty("normalised").GetDouble(), normalised, 5);
            compared++;
        }
        Assert.Equal(5, compared);
    }
}
