using TorchSharp;
using ParameterSaliency.Data;
using static TorchSharp.torch;

namespace ParameterSaliency.Tests;

public class ImageDatasetTests
{
    static readonly string[] TwoClasses = ["a", "b"];

    [Fact]
    public void NaN_pixels_are_refused()
    {
        var images = zeros(2, 1, 4, 4);
        images[1, 0, 2, 2] = tensor(float.NaN);
        var error = Assert.Throws<ArgumentException>(() => new ImageDataset("bad", images, tensor(new long[] { 0, 1 }), TwoClasses, Normalization.FashionMnist));
        Assert.Contains("NaN", error.Message);
    }

    [Fact]
    public void Labels_outside_the_classes_are_refused_naming_the_index()
    {
        var error = Assert.Throws<ArgumentException>(() => new ImageDataset("bad", zeros(3, 1, 4, 4), tensor(new long[] { 0, 1, 2 }), TwoClasses, Normalization.FashionMnist));
        Assert.Contains("label 2 at index 2", error.Message);
    }

    [Fact]
    public void Wrong_channel_count_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => new ImageDataset("bad", zeros(2, 3, 4, 4), tensor(new long[] { 0, 1 }), TwoClasses, Normalization.FashionMnist));
        Assert.Contains("3 channels", error.Message);
    }

    [Fact]
    public void Subset_copies_the_chosen_images()
    {
        using Scalar pixels = 2 * 16;
        using var data = new ImageDataset("d", arange(pixels, dtype: ScalarType.Float32).reshape(2, 1, 4, 4), tensor(new long[] { 0, 1 }), TwoClasses, Normalization.FashionMnist);
        using var subset = data.Subset([1]);
        Assert.Equal(16f, subset.Images[0, 0, 0, 0].item<float>());
        Assert.Equal(1, subset.LabelArray[0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Subset([2]));
    }
}
