using System.CommandLine;
using ParameterSaliency.Models;

namespace ParameterSaliency.Cli;

/// <summary><c>saliency models</c>: the architectures the library builds by name, with their unit counts per aggregation.</summary>
internal static class ModelsCommand
{
    public static Command Create()
    {
        var command = new Command("models", "List the architectures the library builds by name (torchvision names and parameter order) with their filters, neurons and heads.");
        command.SetAction(_ =>
        {
            Console.WriteLine($"{"architecture",-16} {"filters",8} {"neurons",9} {"heads",6} {"input",6}  description");
            foreach (var architecture in Architectures.All)
            {
                var (filters, neurons, heads) = architecture.UnitCounts();
                Console.WriteLine($"{architecture.Name,-16} {filters,8:N0} {neurons,9:N0} {heads,6:N0} {architecture.InputSize,6}  {architecture.Description}");
            }
            Console.WriteLine("The length of a profile s per --aggregation: filters = output channels of all 4-D parameters (the paper's); neurons = filters and the rows of " +
                              "every 2-D weight but the classifier; heads = attention heads (SPEC §8). Profiles are filter-wise for convolutional networks and " +
                              "neuron-wise for vit* and mlp unless told. The paper's ImageNet models: resnet50, densenet121, vgg19, inception_v3.");
            return 0;
        });
        return command;
    }
}
