using ParameterSaliency.Data;
using ParameterSaliency.Models;
using ParameterSaliency.Serialization;
using static TorchSharp.torch;

namespace ParameterSaliency.Tests;

public class ModelFileTests
{
    static string TempFile() => Path.Combine(Directory.CreateTempSubdirectory().FullName, "model.safetensors");

    static ResNet TrainedLookingModel(int seed) => TinyModels.Build(ResNetConfig.CifarResNet18(width: 8), seed);

    [Fact]
    public void Save_then_load_is_bit_exact_for_every_parameter_and_buffer()
    {
        string path = TempFile();
        using var original = TrainedLookingModel(3);
        ModelFile.Save(original, Normalization.FashionMnist, "fashion-mnist:train", path);
        using var loaded = ModelFile.Load(path, CPU);
        var expected = original.state_dict();
        var actual = loaded.Model.state_dict();
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (key, tensor) in expected)
        {
            Assert.Equal(tensor.dtype, actual[key].dtype);
            Assert.True(tensor.bytes.SequenceEqual(actual[key].bytes), $"{key} differs after the round trip");
        }
        Assert.Equal("fashion-mnist:train", loaded.Dataset);
        Assert.Equal(8, ((ResNet)loaded.Model).Config.Width);
        Assert.Equal(0.2860f, loaded.Normalization.Mean[0]);
    }

    [Fact]
    public void File_header_is_plain_safetensors_with_the_metadata()
    {
        string path = TempFile();
        using var model = TrainedLookingModel(1);
        ModelFile.Save(model, Normalization.FashionMnist, "fashion-mnist:train", path);
        byte[] bytes = File.ReadAllBytes(path);
        long headerLength = BitConverter.ToInt64(bytes, 0);
        using var header = System.Text.Json.JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        var metadata = header.RootElement.GetProperty("__metadata__");
        foreach (string key in new[] { "arch", "in_channels", "width", "num_classes", "mean", "std", "dataset" })
            Assert.True(metadata.TryGetProperty(key, out _), $"metadata lacks {key}");
        var conv = header.RootElement.GetProperty("conv1.weight");
        Assert.Equal("F32", conv.GetProperty("dtype").GetString());
        Assert.Equal(new long[] { 8, 1, 3, 3 }, conv.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()));
        Assert.Equal(0, (8 + headerLength) % 8);
    }

    [Theory]
    [InlineData("missing", "layer3.1.conv2.weight", "1 missing: layer3.1.conv2.weight.")]
    [InlineData("extra", "layer5.0.conv1.weight", "1 unexpected: layer5.0.conv1.weight.")]
    [InlineData("shape", "fc.weight", "1 with another shape: fc.weight [3, 3], the model's [10, 64].")]
    public void Loading_names_the_offending_key(string fault, string key, string message)
    {
        string path = TempFile();
        using var model = TrainedLookingModel(2);
        var weights = model.state_dict().ToDictionary(p => p.Key, p => p.Value);
        switch (fault)
        {
            case "missing": weights.Remove(key); break;
            case "extra": weights[key] = zeros(1); break;
            case "shape": weights[key] = zeros(3, 3); break;
        }
        SafeTensors.Write(path, weights, new Dictionary<string, string>(model.Config.ToMetadata()) { ["mean"] = "0.286", ["std"] = "0.353" });
        var error = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path, CPU));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Truncated_file_is_refused()
    {
        string path = TempFile();
        using var model = TrainedLookingModel(4);
        ModelFile.Save(model, Normalization.FashionMnist, "x", path);
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 100)]);
        var error = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path, CPU));
        Assert.Contains("truncated", error.Message);
    }
}
