using ParameterSaliency.InputSpace;

namespace ParameterSaliency.Tests;

/// <summary>The post-processing of SPEC §3 step 4 against arrays worked out by hand (numpy's linear percentile).</summary>
public class HeatmapMathTests
{
    [Fact]
    public void Percentile_interpolates_linearly_between_closest_ranks()
    {
        float[] values = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5]; // 1..10 unsorted
        Assert.Equal(9.91, HeatmapMath.Percentile(values, 99), 12); // rank 8.91: 9 + 0.91
        Assert.Equal(9.1, HeatmapMath.Percentile(values, 90), 12);  // rank 8.1
        Assert.Equal(1.0, HeatmapMath.Percentile(values, 0), 12);
        Assert.Equal(10.0, HeatmapMath.Percentile(values, 100), 12);
        Assert.Equal(5.5, HeatmapMath.Percentile(values, 50), 12);
    }

    [Fact]
    public void Clip_floor_and_min_max_on_0_to_99()
    {
        float[] values = Enumerable.Range(0, 100).Select(v => (float)v).Reverse().ToArray();
        var heatmap = HeatmapMath.ClipFloorNormalize(values, 99, 90, out string? warning);
        Assert.Null(warning);
        // 99th percentile 98.01, 90th 89.1: v ≤ 89 → 0, v = 90 → 0.9/8.91, v = 98 → 8.9/8.91, v = 99 → 1.
        for (int i = 0; i < 100; i++)
        {
            double v = values[i];
            double expected = v <= 89 ? 0 : v == 99 ? 1 : (v - 89.1) / 8.91;
            Assert.Equal(expected, heatmap[i], 6);
        }
        Assert.Equal(0.9 / 8.91, heatmap[9], 6); // v = 90 lies at index 9
    }

    [Fact]
    public void Clip_floor_with_other_percentiles()
    {
        var heatmap = HeatmapMath.ClipFloorNormalize([3, 0, 4, 1, 2], 75, 25, out _); // p75 = 3, p25 = 1
        Assert.Equal(new[] { 1f, 0f, 1f, 0f, 0.5f }, heatmap);
    }

    [Theory]
    [InlineData(0f, "zero")]
    [InlineData(0.25f, "constant")]
    [InlineData(float.NaN, "NaN")]
    public void Degenerate_maps_give_zeros_and_a_warning_never_NaN(float value, string expectedWord)
    {
        var heatmap = HeatmapMath.ClipFloorNormalize(Enumerable.Repeat(value, 49).ToArray(), 99, 90, out string? warning);
        Assert.All(heatmap, v => Assert.Equal(0f, v));
        Assert.NotNull(warning);
        Assert.Contains(expectedWord, warning);
    }

    [Fact]
    public void Channel_reduction_takes_the_signed_maximum_then_the_absolute_value()
    {
        // Two channels, 1x3 image: pixel 0 has (−3, 1), pixel 1 (−3, −5), pixel 2 (2, 0.5).
        float[] gradient = [-3, -3, 2, 1, -5, 0.5f];
        Assert.Equal(new[] { 1f, 3f, 2f }, HeatmapMath.ReduceChannels(gradient, 2, 1, 3));
        Assert.Equal(new[] { 3f, 5f, 2f }, HeatmapMath.ReduceChannels(gradient, 2, 1, 3, absoluteFirst: true));
    }

    [Fact]
    public void Display_blur_spreads_an_impulse_with_the_normalised_3x3_Gaussian()
    {
        var impulse = new float[25];
        impulse[12] = 1;
        var blurred = HeatmapMath.GaussianBlur(impulse, 5, 5, 0.8);
        double side = Math.Exp(-1 / (2 * 0.64)), total = 1 + 2 * side;
        Assert.Equal(1 / (total * total), blurred[12], 6);
        Assert.Equal(side / (total * total), blurred[11], 6);
        Assert.Equal(side * side / (total * total), blurred[6], 6);
        Assert.Equal(0f, blurred[0]);
        Assert.Equal(1.0, blurred.Sum(v => (double)v), 6);
    }

    [Fact]
    public void Pointing_game_splits_tied_maxima_and_mass_share_counts_the_box()
    {
        // 4x4 raw map: the maximum 5 is shared by (0, 0) and (3, 3); the box is rows 2-3, columns 2-3.
        float[] raw = [5, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 5];
        var heatmap = new InputHeatmap("test", 0, null, new float[16], new float[16], new float[16], raw, raw, 1, 4, 4, [], [], 100, 0);
        var box = RegionMask.Rectangle(4, 4, 2, 2, 2, 2);
        Assert.Equal(0.5, heatmap.PointingGame(box));
        Assert.Equal(8.0 / 14.0, heatmap.MassShare(box), 12);
        Assert.Equal(1.0, heatmap.PointingGame(RegionMask.Rectangle(4, 4, 0, 0, 4, 4)));
    }
}
