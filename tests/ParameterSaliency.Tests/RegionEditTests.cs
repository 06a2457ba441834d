using ParameterSaliency.Data;
using ParameterSaliency.InputSpace;
using static TorchSharp.torch;

namespace ParameterSaliency.Tests;

/// <summary>Masking and pasting change the region and nothing else.</summary>
public class RegionEditTests
{
    static readonly Normalization Norm = Normalization.FashionMnist;

    static RegionMask Heart()
    {
        float[] heat = Runtime.GlobalRandom.Seeded(5, () => rand(28 * 28).data<float>().ToArray());
        return RegionMask.TopFraction(heat, 28, 28, 0.05);
    }

    [Theory]
    [InlineData(MaskFill.Black)]
    [InlineData(MaskFill.DatasetMean)]
    [InlineData(MaskFill.Blur)]
    public void Masking_replaces_the_region_and_leaves_every_other_pixel_bit_identical(MaskFill fill)
    {
        var image = Runtime.GlobalRandom.Seeded(6, () => randn(1, 28, 28));
        var region = Heart();
        Assert.Equal(40, region.Count); // ⌈0.05 · 784⌉
        float[] before = image.reshape(-1).data<float>().ToArray();
        float[] after = RegionEdits.Mask(image, region, fill, Norm).reshape(-1).data<float>().ToArray();
        float black = -Norm.Mean[0] / Norm.Std[0];
        for (int p = 0; p < before.Length; p++)
        {
            if (!region.Pixels[p]) Assert.Equal(BitConverter.SingleToInt32Bits(before[p]), BitConverter.SingleToInt32Bits(after[p]));
            else if (fill == MaskFill.Black) Assert.Equal(black, after[p], 6);
            else if (fill == MaskFill.DatasetMean) Assert.Equal(0f, after[p]);
            else Assert.NotEqual(before[p], after[p]);
        }
    }

    [Fact]
    public void Pasting_copies_the_region_from_the_source_and_nothing_else()
    {
        var (source, target) = Runtime.GlobalRandom.Seeded(7, () => (randn(1, 28, 28), randn(1, 28, 28)));
        var region = RegionMask.Rectangle(28, 28, 3, 20, 5, 6);
        float[] s = source.reshape(-1).data<float>().ToArray(), t = target.reshape(-1).data<float>().ToArray();
        float[] pasted = RegionEdits.Paste(source, target, region).reshape(-1).data<float>().ToArray();
        for (int p = 0; p < pasted.Length; p++)
        {
            int row = p / 28, column = p % 28;
            bool inside = row is >= 3 and < 8 && column is >= 20 and < 26;
            Assert.Equal(BitConverter.SingleToInt32Bits(inside ? s[p] : t[p]), BitConverter.SingleToInt32Bits(pasted[p]));
        }
    }

    [Fact]
    public void Control_region_is_disjoint_equally_large_and_reproducible()
    {
        var region = Heart();
        var control = region.RandomOutside(seed: 3);
        Assert.Equal(region.Count, control.Count);
        Assert.DoesNotContain(Enumerable.Range(0, 784), p => region.Pixels[p] && control.Pixels[p]);
        Assert.Equal(control.Pixels, region.RandomOutside(seed: 3).Pixels);
        Assert.NotEqual(control.Pixels, region.RandomOutside(seed: 4).Pixels);
    }

    [Fact]
    public void Bad_regions_and_shapes_are_refused_with_a_clear_message()
    {
        Assert.Contains("does not fit", Assert.Throws<ArgumentOutOfRangeException>(() => RegionMask.Rectangle(28, 28, 25, 0, 5, 5)).Message);
        Assert.Contains("[C, 28, 28]", Assert.Throws<ArgumentException>(() => RegionEdits.Mask(zeros(1, 32, 32), Heart(), MaskFill.Black, Norm)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => RegionMask.TopFraction(new float[784], 28, 28, 0));
    }
}
