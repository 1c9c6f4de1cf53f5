"""A DCGAN-style generator and discriminator written as PyTorch code: ConvTranspose2d/Conv2d/BatchNorm2d stacks,
weights_init applied by class name with nn.init, torch.backends.cudnn.benchmark, data_parallel when several GPUs
are asked for, BCELoss against labels made with torch.full and fill_, two Adam optimizers with betas, and the
update order of pytorch/examples' DCGAN (D on real and detached fakes, step, then G through D). Inputs also go
through the older API: Variable, a torch.FloatTensor buffer reshaped with resize_ and filled with copy_."""

import numpy as np
import torch
import torch.backends.cudnn as cudnn
import torch.nn as nn
import torch.optim as optim
from common_io import same_weights
from torch.autograd import Variable

NZ, NGF, NDF, BATCH = 4, 4, 4, 6


class Generator(nn.Module):
    def __init__(self, ngpu):
        super().__init__()
        self.ngpu = ngpu
        self.main = nn.Sequential(
            nn.ConvTranspose2d(NZ, NGF * 2, 4, 1, 0, bias=False),
            nn.BatchNorm2d(NGF * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(NGF * 2, 1, 4, 2, 1, bias=False),
            nn.Tanh(),
        )

    def forward(self, input):
        if input.is_cuda and self.ngpu > 1:
            return nn.parallel.data_parallel(self.main, input, range(self.ngpu))
        return self.main(input)


class Discriminator(nn.Module):
    def __init__(self, ngpu):
        super().__init__()
        self.ngpu = ngpu
        self.main = nn.Sequential(
            nn.Conv2d(1, NDF, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(NDF, NDF * 2, 2, 2, 0, bias=False),
            nn.BatchNorm2d(NDF * 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(NDF * 2, 1, 2, 1, 0, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, input):
        if isinstance(input.data, torch.cuda.FloatTensor) and self.ngpu > 1:
            output = nn.parallel.data_parallel(self.main, input, range(self.ngpu))
        else:
            output = self.main(input)
        return output.view(-1, 1).squeeze(1)


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find("Conv") != -1:
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif classname.find("BatchNorm") != -1:
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def main():
    torch.manual_seed(0)
    cudnn.benchmark = True
    device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    if torch.backends.mps.is_available():
        device = torch.device("mps")
    rng = np.random.default_rng(2)
    images = rng.uniform(-1, 1, (3, BATCH, 1, 8, 8)).astype(np.float32)
    noises = rng.normal(0, 1, (3, BATCH, NZ, 1, 1)).astype(np.float32)

    netG, netD = Generator(1).to(device), Discriminator(1).to(device)
    netG.apply(weights_init)
    netD.apply(weights_init)
    same_weights(nn.ModuleDict({"G": netG, "D": netD}), torch)
    criterion = nn.BCELoss()
    optimizerD = optim.Adam(netD.parameters(), lr=0.01, betas=(0.5, 0.999))
    optimizerG = optim.Adam(netG.parameters(), lr=0.01, betas=(0.5, 0.999))
    input = Variable(torch.FloatTensor(1, 1, 8, 8))
    assert isinstance(input, torch.FloatTensor) and not isinstance(input, torch.cuda.FloatTensor)
    for real, noise in zip(images, noises):
        netD.zero_grad()
        input.resize_(real.shape).copy_(torch.from_numpy(real))
        label = torch.full((BATCH,), 1, dtype=input.dtype, device=device)
        output = netD(input)
        errD_real = criterion(output, label)
        errD_real.backward()
        fake = netG(torch.from_numpy(noise).to(device))
        label.fill_(0)
        errD_fake = criterion(netD(fake.detach()), label)
        errD_fake.backward()
        optimizerD.step()

        netG.zero_grad()
        label.fill_(1)
        errG = criterion(netD(fake), label)
        errG.backward()
        optimizerG.step()
        print(f"loss {(errD_real + errD_fake).item():.8f}")
        print(f"loss {errG.item():.8f}")


if __name__ == "__main__":
    main()
