using System.IO.Compression;
using ParameterSaliency.Data;

namespace ParameterSaliency.Tests;

public class IdxFileTests
{
    static string TestImages => Path.Combine(Workbook.Root, "data", "fashion-mnist", "t10k-images-idx3-ubyte.gz");
    static string TestLabels => Path.Combine(Workbook.Root, "data", "fashion-mnist", "t10k-labels-idx1-ubyte.gz");

    [Fact]
    public void Test_split_matches_known_facts_of_the_files()
    {
        // Facts of the published files, read independently with Python's gzip module.
        var images = IdxFile.ReadImages(TestImages);
        var labels = IdxFile.ReadLabels(TestLabels);
        Assert.Equal((10000, 28, 28), (images.Count, images.Rows, images.Columns));
        Assert.Equal(10000, labels.Length);
        Assert.Equal(new byte[] { 9, 2, 1, 1, 6, 1, 4, 6, 5, 7 }, labels[..10]);
        Assert.Equal(573469082L, images.Pixels.Sum(p => (long)p));
        Assert.Equal(33456L, images.Pixels.Take(784).Sum(p => (long)p));
        Assert.Equal(110, images.Pixels[14 * 28 + 14]);
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(1000, labels.Count(l => l == c)));
    }

    [Fact]
    public void Loaded_tensors_are_normalised_pixels()
    {
        using var data = FashionMnist.Load(DataSplit.Test);
        var raw = IdxFile.ReadImages(TestImages);
        Assert.Equal(new long[] { 10000, 1, 28, 28 }, data.Images.shape);
        float expected = (raw.Pixels[14 * 28 + 14] / 255f - 0.2860f) / 0.3530f;
        Assert.Equal(expected, data.Images[0, 0, 14, 14].item<float>(), 5);
        Assert.Equal(9, data.LabelArray[0]);
    }

    [Fact]
    public void Uncompressed_files_read_the_same_as_gzip()
    {
        string folder = Directory.CreateTempSubdirectory().FullName;
        string plain = Path.Combine(folder, "labels-idx1-ubyte");
        File.WriteAllBytes(plain, IdxFile.ReadContent(TestLabels));
        Assert.Equal(IdxFile.ReadLabels(TestLabels), IdxFile.ReadLabels(plain));
    }

    [Fact]
    public void Truncated_gzip_is_refused_with_a_clear_message()
    {
        string folder = Directory.CreateTempSubdirectory().FullName;
        string truncated = Path.Combine(folder, "t10k-images-idx3-ubyte.gz");
        byte[] whole = File.ReadAllBytes(TestImages);
        File.WriteAllBytes(truncated, whole[..(whole.Length / 2)]);
        var error = Assert.Throws<InvalidDataException>(() => IdxFile.ReadImages(truncated));
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void Header_that_claims_more_images_than_present_is_refused()
    {
        string folder = Directory.CreateTempSubdirectory().FullName;
        string path = Path.Combine(folder, "short-idx3-ubyte");
        byte[] content = IdxFile.ReadContent(TestImages)[..(16 + 784 * 3)]; // header says 10,000 images, 3 present
        File.WriteAllBytes(path, content);
        var error = Assert.Throws<InvalidDataException>(() => IdxFile.ReadImages(path));
        Assert.Contains("10000 images", error.Message);
    }

    [Fact]
    public void Label_file_given_as_images_is_refused_by_magic_number()
    {
        var error = Assert.Throws<InvalidDataException>(() => IdxFile.ReadImages(TestLabels));
        Assert.Contains("magic number", error.Message);
    }

    [Fact]
    public void Wrong_content_is_refused_by_checksum()
    {
        string folder = Directory.CreateTempSubdirectory().FullName;
        byte[] content = IdxFile.ReadContent(TestLabels);
        content[100] ^= 1; // one flipped bit in one label
        using (var file = File.Create(Path.Combine(folder, "t10k-labels-idx1-ubyte.gz")))
        using (var gzip = new GZipStream(file, CompressionMode.Compress))
            gzip.Write(content);
        var error = Assert.Throws<InvalidDataException>(() => FashionMnist.Locate("t10k-labels-idx1-ubyte.gz", folder));
        Assert.Contains("checksum", error.Message);
    }
}
